"""TLS for relocation: both ends verify certificates (4.4 verified none).

The server presents ``xend-relocation-server-ssl-cert-file``/``-key-file``;
with ``xend-relocation-ssl-ca-file`` it requires a client certificate
signed by that CA.  The sending xend presents the same certificate as its
client certificate and refuses a server it cannot verify against the CA
(by the name or address it was asked to migrate to).
"""

from __future__ import annotations

import ssl

from xend.errors import ConfigError, ConnectionFailed


def server_context(cert: str, key: str, ca: str) -> ssl.SSLContext:
    if not cert or not key:
        raise ConfigError("xend-relocation-ssl-server needs "
                          "xend-relocation-server-ssl-cert-file and "
                          "xend-relocation-server-ssl-key-file")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
        if ca:
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"relocation TLS: cannot load {cert}, {key} or "
                          f"{ca or 'no CA'}: {exc}") from None
    return ctx


def client_context(cert: str, key: str, ca: str, peer: str
                   ) -> ssl.SSLContext:
    if not ca:
        raise ConnectionFailed(
            f"cannot verify {peer}: set xend-relocation-ssl-ca-file to the "
            "CA that signed the relocation servers' certificates")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_verify_locations(ca)
        if cert and key:
            ctx.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionFailed(f"relocation TLS: cannot load {ca}, {cert} "
                               f"or {key}: {exc}") from None
    return ctx


# The peer's alerts about the certificate this host presented.
_CERT_ALERTS = ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_EXPIRED",
                "CERTIFICATE_REVOKED", "CERTIFICATE_UNKNOWN",
                "UNSUPPORTED_CERTIFICATE", "ACCESS_DENIED")
# What OpenSSL says when the peer answered something that is not TLS.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "UNKNOWN_PROTOCOL",
            "PACKET_LENGTH_TOO_LONG", "RECORD_LENGTH_MISMATCH")


def describe(exc: BaseException) -> str:
    """A short reason for a failed handshake, or for the peer's alert
    (with TLS 1.3 a refused client certificate is only heard after the
    handshake, at the first read)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        reason = str(getattr(exc, "reason", "") or "")
        alert = reason.partition("_ALERT_")[2]
        if alert == "CERTIFICATE_REQUIRED":
            return ("TLS failed: the peer requires a client certificate "
                    "(set xend-relocation-server-ssl-cert-file and "
                    "xend-relocation-server-ssl-key-file)")
        if alert in _CERT_ALERTS:
            return ("TLS failed: the peer refused this host's certificate: "
                    + alert.lower().replace("_", " "))
        if reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE":
            return "TLS failed: the peer sent no client certificate"
        if reason in ("UNEXPECTED_EOF_WHILE_READING", "EOF") or \
                isinstance(exc, ssl.SSLEOFError):
            return ("TLS failed: the connection was closed during the "
                    "TLS handshake")
        if reason in _NOT_TLS:
            return (f"TLS failed: the peer did not answer in TLS "
                    f"({reason}): is this its TLS relocation port?")
        return f"TLS failed: {reason or exc}"
    return str(exc)
