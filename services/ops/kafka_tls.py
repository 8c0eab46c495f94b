"""A certificate authority and a broker certificate for the local secured Kafka (``lienthong kafka up --secure``),
made once with openssl. Kafka 4 reads them as PEM (``ssl.keystore.type=PEM``): no Java keystore to build.

    files = ensure_tls(Path(".local/kafka-secure/tls"))
    files.ca          # what clients trust: LIENTHONG_KAFKA_SSL_CAFILE
    files.keystore    # the broker's private key and certificate chain (PEM)

The broker certificate names 127.0.0.1 and localhost, so clients verify the host name as well as the chain.
Keys never leave the directory (mode 0700, files 0600); a development CA, not for production.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TlsError", "TlsFiles", "ensure_tls"]

DAYS = 825  # the longest validity clients accept for a server certificate


class TlsError(RuntimeError):
    """openssl is missing or failed; the message is one line (plus openssl's last lines)."""


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def keystore(self) -> Path:
        return self.directory / "broker-keystore.pem"

    def complete(self) -> bool:
        return self.ca.exists() and self.keystore.exists()


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise TlsError(f"openssl {args[0]} failed (exit {done.returncode}):\n{tail}")


def _key_and_request(directory: Path, name: str, common_name: str) -> None:
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{name}.key", cwd=directory)
    subject = f"/O=lienthong/CN={common_name}"
    _openssl("req", "-new", "-key", f"{name}.key", "-subj", subject, "-out", f"{name}.csr", cwd=directory)


def _signing(name: str) -> list[str]:
    return ["-days", str(DAYS), "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem"]


def ensure_tls(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TlsFiles:
    """The CA and the broker's key and certificate in ``directory``, made now unless they are there already."""
    files = TlsFiles(directory)
    if files.complete():
        return files
    if not shutil.which("openssl"):
        raise TlsError("missing: openssl (apt-get install -y openssl), to make the secured broker's certificates")
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    names = ",".join(f"IP:{h}" if h.replace(".", "").isdigit() else f"DNS:{h}" for h in hosts)
    (directory / "ca.ext").write_text(
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier=hash\n"
    )
    (directory / "broker.ext").write_text(
        f"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName={names}\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    old_umask = os.umask(0o077)  # the keys are readable by this user only
    try:
        _key_and_request(directory, "ca", "lienthong local CA")
        _openssl("x509", "-req", "-in", "ca.csr", "-signkey", "ca.key", *_signing("ca"), cwd=directory)
        _key_and_request(directory, "broker", hosts[0])
        serial = str(int.from_bytes(os.urandom(8), "big"))
        signer = ["-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", serial]
        _openssl("x509", "-req", "-in", "broker.csr", *signer, *_signing("broker"), cwd=directory)
        # the keystore last: its presence says the set is whole
        chain = [(directory / name).read_text() for name in ("broker.key", "broker.pem", "ca.pem")]
        files.keystore.write_text("".join(chain))
    finally:
        os.umask(old_umask)
    for leftover in ("ca.csr", "broker.csr", "ca.ext", "broker.ext"):
        (directory / leftover).unlink(missing_ok=True)
    return files
