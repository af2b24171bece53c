"""JSON-RPC framing on literal bytes."""

import pytest

from xend.rpc import protocol


def test_request_frame_bytes():
    data = protocol.encode_request("xend.domain", ["web1"], 7)
    body = b'{"jsonrpc":"2.0","method":"xend.domain","params":["web1"],"id":7}'
    assert data == len(body).to_bytes(4, "big") + body


def test_request_with_fds_names_them():
    data = protocol.encode_request("xend.domain.save", ["a", False], 1, fds=1)
    assert b'"fds":1' in data


def test_frame_length_refuses_oversize():
    with pytest.raises(protocol.FrameError) as err:
        protocol.frame_length((protocol.MAX_FRAME + 1).to_bytes(4, "big"))
    assert err.value.code == protocol.INVALID_REQUEST
    assert "too large" in str(err.value)


@pytest.mark.parametrize("body, code", [
    (b"{", protocol.PARSE_ERROR),
    (b"\xff\xfe", protocol.PARSE_ERROR),
])
def test_decode_errors(body, code):
    with pytest.raises(protocol.FrameError) as err:
        protocol.decode_json(body)
    assert err.value.code == code


@pytest.mark.parametrize("obj, code", [
    ([], protocol.INVALID_REQUEST),
    ({"method": "x"}, protocol.INVALID_REQUEST),
    ({"jsonrpc": "2.0"}, protocol.INVALID_REQUEST),
    ({"jsonrpc": "2.0", "method": 3}, protocol.INVALID_REQUEST),
    ({"jsonrpc": "2.0", "method": "x", "params": {}}, protocol.INVALID_PARAMS),
    ({"jsonrpc": "2.0", "method": "x", "id": [1]}, protocol.INVALID_REQUEST),
    ({"jsonrpc": "2.0", "method": "x", "fds": 99}, protocol.INVALID_REQUEST),
])
def test_invalid_requests(obj, code):
    with pytest.raises(protocol.FrameError) as err:
        protocol.parse_request(obj)
    assert err.value.code == code


def test_parse_request_defaults():
    req = protocol.parse_request({"jsonrpc": "2.0", "method": "m", "id": 1})
    assert (req.method, req.params, req.id, req.fds) == ("m", [], 1, 0)


def test_error_and_result_frames():
    res = protocol.encode_result(3, {"a": 1})
    assert res[4:] == b'{"jsonrpc":"2.0","id":3,"result":{"a":1}}'
    err = protocol.encode_error(3, 3, "Domain 'x' does not exist.",
                                {"type": "DomainNotFound"})
    assert b'"code":3' in err and b'"type":"DomainNotFound"' in err
