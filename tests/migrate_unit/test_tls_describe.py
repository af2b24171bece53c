"""tls.describe: a connection cut during the handshake reads as such, not
as OpenSSL's reason code."""

from __future__ import annotations

import ssl

from xend.migrate.tls import describe


def test_eof_during_handshake() -> None:
    exc = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    assert describe(exc) == ("TLS failed: the connection was closed during "
                             "the TLS handshake")


def test_certificate_not_trusted_keeps_the_reason() -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "unable to get local issuer certificate"
    assert describe(exc) == ("certificate not trusted: unable to get local "
                             "issuer certificate")
