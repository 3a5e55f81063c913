"""`python -m deploy.tls`: the deployment CA and the TLS files compose mounts (issue 13, 8)."""

from __future__ import annotations

import ssl

import pytest
from cryptography import x509

from deploy.tls import BROKERS, make_tls_files

pytestmark = pytest.mark.unit


def test_every_certificate_is_signed_by_the_deployment_ca_and_names_its_host(tmp_path):
    make_tls_files(tmp_path, ["files.example.org"])
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    for name, path in [*((b, tmp_path / f"{b}.pem") for b in BROKERS),
                       ("seaweedfs", tmp_path / "seaweedfs.crt")]:  # fmt: skip
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        cert.verify_directly_issued_by(ca)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert name in names.get_values_for_type(x509.DNSName)
    seaweed = x509.load_pem_x509_certificate((tmp_path / "seaweedfs.crt").read_bytes())
    alt = seaweed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "files.example.org" in alt.get_values_for_type(x509.DNSName)


def test_keys_are_owner_only_and_a_broker_file_is_a_usable_keystore(tmp_path):
    make_tls_files(tmp_path, [])
    for key in ("ca.key", "seaweedfs.key", *(f"{b}.pem" for b in BROKERS)):
        assert (tmp_path / key).stat().st_mode & 0o077 == 0, key
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "kafka-1.pem")  # key and certificate in one file


def test_running_again_keeps_what_is_there(tmp_path):
    make_tls_files(tmp_path, [])
    before = (tmp_path / "ca.crt").read_bytes(), (tmp_path / "kafka-2.pem").read_bytes()
    assert make_tls_files(tmp_path, []) == []
    assert ((tmp_path / "ca.crt").read_bytes(), (tmp_path / "kafka-2.pem").read_bytes()) == before
