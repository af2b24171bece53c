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


@pytest.mark.parametrize("body, depth", [
    (b"1", 0), (b"[]", 1), (b'{"a":[{}]}', 3),
    (b'["[[[[", "{{"]', 1),                 # brackets in strings
    (b'["\\"[[[", [["\\\\"]]]', 3),          # escaped quote, then \\
    (b"[" * 100_000, 100_000),
])
def test_nesting_depth(body, depth):
    assert protocol.nesting_depth(body) == depth


@pytest.mark.parametrize("body", [
    b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"jsonrpc":"2.0","method":"xend.version","params":' + b"[" * 5000
    + b"]" * 5000 + b',"id":1}',
])
def test_deep_nesting_is_a_parse_error(body):
    # Without a limit (xm reading replies) the decoder's RecursionError
    # is a parse error too; with one (xend reading requests) it is
    # refused before decoding, with the depth in the message.
    for limit in (None, protocol.MAX_NESTING):
        with pytest.raises(protocol.FrameError) as err:
            protocol.decode_json(body, limit)
        assert err.value.code == protocol.PARSE_ERROR
        print(limit, str(err.value)[:80])
    assert "at most 64" in str(err.value)


def test_nesting_limit_allows_the_limit():
    ok = b"[" * protocol.MAX_NESTING + b"]" * protocol.MAX_NESTING
    assert protocol.decode_json(ok, protocol.MAX_NESTING) is not None
    deeper = b"[" + ok + b"]"
    with pytest.raises(protocol.FrameError, match="nested 65 deep"):
        protocol.decode_json(deeper, protocol.MAX_NESTING)
    # strings full of brackets do not count
    wide = b'["' + b"[" * 1000 + b'"]'
    assert protocol.decode_json(wide, protocol.MAX_NESTING) == ["[" * 1000]
