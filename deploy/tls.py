"""`python -m deploy.tls DIR [--s3-name NAME ...]`: a deployment CA and the TLS files that
docker-compose.yml mounts as secrets (issue 13, item 8).

Writes `ca.crt` (what every process trusts) and, owner-only, `ca.key` (keep it offline),
`kafka-1.pem` .. `kafka-3.pem` (each broker's key and certificate, good for serving and, on the
controller listener, for authenticating to the other brokers), `seaweedfs.crt` and
`seaweedfs.key` (S3 over HTTPS; add the name phones use with --s3-name), `mosquitto.crt` and
`mosquitto.key` (MQTT over TLS for the field devices, under the same names). Files already there
are kept, so running it again only adds what is missing. Compose mounts the files with their
owner and mode: give each broker's file to the Kafka image's user (`chown 1000 kafka-*.pem`),
and `mosquitto.key` to Mosquitto's (`chown 1883 mosquitto.key`).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BROKERS = ("kafka-1", "kafka-2", "kafka-3")
CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)  # fmt: skip
# Servers' certificates; brokers also present theirs as clients on the controller listener.
SERVER_AND_CLIENT = x509.ExtendedKeyUsage(
    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
)
VALID_DAYS = 825


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_or_make_ca(out: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = out / "ca.crt", out / "ca.key"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "enforcement deployment CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(CA_KEY_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key))
    # Public, and read by every container whatever its user.
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key


def _issue(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, names: list[str]
) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) for `names` (DNS names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SERVER_AND_CLIENT, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)


def make_tls_files(out: Path, s3_names: list[str]) -> list[Path]:
    """Write what is missing under `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _load_or_make_ca(out)
    written = []
    for broker in BROKERS:
        path = out / f"{broker}.pem"
        if not path.exists():
            key, cert = _issue(ca, ca_key, [broker, "localhost"])
            _write(path, key + cert)  # Kafka's PEM keystore: the key, then the chain
            written.append(path)
    if not (out / "seaweedfs.crt").exists():
        key, cert = _issue(ca, ca_key, ["seaweedfs", "localhost", "127.0.0.1", *s3_names])
        _write(out / "seaweedfs.key", key)
        _write(out / "seaweedfs.crt", cert, 0o644)
        written += [out / "seaweedfs.key", out / "seaweedfs.crt"]
    if not (out / "mosquitto.crt").exists():  # the MQTT broker of the field devices
        key, cert = _issue(ca, ca_key, ["mosquitto", "localhost", "127.0.0.1", *s3_names])
        _write(out / "mosquitto.key", key)  # give it to the broker image's user: chown 1883
        _write(out / "mosquitto.crt", cert, 0o644)
        written += [out / "mosquitto.key", out / "mosquitto.crt"]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.tls", description=__doc__)
    parser.add_argument("dir", type=Path, help="where to write (TLS_DIR of docker-compose.yml)")
    parser.add_argument(
        "--s3-name", action="append", default=[], help="a name phones reach S3 by (repeatable)"
    )
    args = parser.parse_args(argv)
    for path in make_tls_files(args.dir, args.s3_name):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
