"""Throwaway X.509 files for the TLS relocation tests, made with ``openssl``.

:func:`make_certs` writes, into one directory, in well under a second
(P-256 keys, one ``openssl`` run per certificate):

* ``ca``: the CA both hosts trust;
* ``hosts["a"]``, ``hosts["b"]``: each host's key and certificate signed by
  that CA, usable as server and as client (CN = the host's FQDN;
  subjectAltName = its FQDN, short name and address, and its proxy name and
  address, see :mod:`tests.migrate.netns`);
* ``untrusted``: host a's names, signed by ``other_ca``, a CA nobody trusts
  (the "bad" client);
* ``expired``: host a's names, signed by ``ca``, valid only on 1 Jan 2000;
* ``self_signed``: host a's names, signed by its own key.

Keys are unencrypted PEM files, certificates PEM.  :func:`verify` runs
``openssl verify -CAfile``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tests.migrate.netns import IDENTITIES, Identity

DAYS = 7

_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
subjectAltName = $ENV::XMIG_SAN
[signer]
database = index.txt
new_certs_dir = .
default_md = sha256
policy = any_name
rand_serial = yes
unique_subject = no
[any_name]
commonName = supplied
"""


@dataclass(frozen=True)
class KeyCert:
    key: Path
    cert: Path


@dataclass(frozen=True)
class Certs:
    dir: Path
    ca: Path                 # the trusted CA's certificate
    ca_key: Path
    other_ca: Path           # a CA nobody trusts
    hosts: dict[str, KeyCert]
    untrusted: KeyCert       # signed by other_ca
    expired: KeyCert
    self_signed: KeyCert


def subject_alt_names(ident: Identity) -> str:
    return (f"DNS:{ident.fqdn},DNS:{ident.short},IP:{ident.ip},"
            f"DNS:{ident.proxy_fqdn},IP:{ident.proxy_ip}")


class _Maker:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.config = directory / "openssl.cnf"
        self.config.write_text(_CONFIG)
        (directory / "index.txt").write_text("")

    def openssl(self, *args: str, san: str = "") -> None:
        env = dict(os.environ, XMIG_SAN=san or "DNS:unused.invalid")
        proc = subprocess.run(["openssl", *args], cwd=self.dir, env=env,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr}")

    def new_key_args(self, name: str) -> list[str]:
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{name}.key",
                "-config", str(self.config)]

    def ca(self, name: str, cn: str) -> KeyCert:
        self.openssl("req", "-x509", *self.new_key_args(name),
                     "-extensions", "ca_ext", "-subj", f"/CN={cn}",
                     "-days", str(DAYS), "-out", f"{name}.crt")
        return self.pair(name)

    def leaf(self, name: str, ident: Identity,
             signer: KeyCert | None) -> KeyCert:
        """A certificate for ``ident``; self-signed when ``signer`` is None."""
        ca_args = [] if signer is None else \
            ["-CA", str(signer.cert), "-CAkey", str(signer.key)]
        self.openssl("req", "-x509", *self.new_key_args(name),
                     "-extensions", "leaf_ext", "-subj", f"/CN={ident.fqdn}",
                     "-days", str(DAYS), *ca_args, "-out", f"{name}.crt",
                     san=subject_alt_names(ident))
        return self.pair(name)

    def expired(self, name: str, ident: Identity, signer: KeyCert) -> KeyCert:
        # req -x509 will not back-date, `openssl ca` will.
        self.openssl("req", "-new", *self.new_key_args(name),
                     "-subj", f"/CN={ident.fqdn}", "-out", f"{name}.csr")
        self.openssl("ca", "-batch", "-config", str(self.config),
                     "-name", "signer", "-extensions", "leaf_ext",
                     "-cert", str(signer.cert), "-keyfile", str(signer.key),
                     "-startdate", "20000101000000Z",
                     "-enddate", "20000102000000Z", "-notext",
                     "-in", f"{name}.csr", "-out", f"{name}.crt",
                     san=subject_alt_names(ident))
        return self.pair(name)

    def pair(self, name: str) -> KeyCert:
        return KeyCert(self.dir / f"{name}.key", self.dir / f"{name}.crt")


def make_certs(directory: Path,
               identities: Iterable[Identity] = IDENTITIES) -> Certs:
    """Generate the whole set into ``directory`` (made if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    maker = _Maker(directory)
    ca = maker.ca("ca", "xmig test CA")
    other = maker.ca("other-ca", "xmig untrusted CA")
    idents = list(identities)
    hosts = {i.label: maker.leaf(f"host-{i.label}", i, ca) for i in idents}
    first = idents[0]
    return Certs(
        dir=directory, ca=ca.cert, ca_key=ca.key, other_ca=other.cert,
        hosts=hosts,
        untrusted=maker.leaf("untrusted", first, other),
        expired=maker.expired("expired", first, ca),
        self_signed=maker.leaf("self-signed", first, None))


def verify(ca: Path, cert: Path) -> tuple[bool, str]:
    """``openssl verify -CAfile ca cert``: (passed, its output)."""
    proc = subprocess.run(["openssl", "verify", "-CAfile", str(ca), str(cert)],
                          capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()
