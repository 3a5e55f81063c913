"""The verify command gives a verdict only with the log's own settings: missing or wrong ones
are "cannot verify" (exit 2), never "FAILED" (exit 1), and never a traceback."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from services.records import transparency
from tests.conftest import S3_KEYS

from .conftest import open_case
from .test_tamper_evidence import BUCKET, SIGNER, upload

pytestmark = pytest.mark.integration

KEY = base64.b64encode(b"k" * 32).decode()  # SIGNER's seed


@pytest.fixture
def store(object_store):
    object_store.ensure_bucket(BUCKET)
    return object_store


def verify_command(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RECORDS_")}
    return subprocess.run(
        [sys.executable, "-m", "services.records.verify", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def settings(records_db, store, seaweedfs, db_url):
    case = open_case(records_db)
    upload(records_db, store, case, os.urandom(2000), "image/jpeg")
    transparency.current_tree_head(records_db, SIGNER)  # the log signed with its key
    return {
        "RECORDS_DATABASE_URL": db_url,
        "RECORDS_LOG_SIGNING_KEY": KEY,
        "RECORDS_S3_ENDPOINT": seaweedfs.endpoint,
        "RECORDS_S3_ACCESS_KEY": S3_KEYS["access_key"],
        "RECORDS_S3_SECRET_KEY": S3_KEYS["secret_key"],
        "RECORDS_EVIDENCE_BUCKET": BUCKET,
    }


def assert_cannot_verify(done: subprocess.CompletedProcess, says: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "CANNOT VERIFY" in done.stderr and says in done.stderr, done.stderr
    assert "FAILED" not in done.stdout and "BROKEN" not in done.stdout
    assert "Traceback" not in done.stderr


def test_no_settings_at_all_is_no_verdict(tmp_path):
    assert_cannot_verify(verify_command(env={}, cwd=tmp_path), "RECORDS_LOG_SIGNING_KEY")


def test_a_missing_database_is_no_verdict(tmp_path):
    done = verify_command(
        env={"RECORDS_LOG_SIGNING_KEY": KEY, "RECORDS_DATABASE_URL": "sqlite:///nowhere.db"},
        cwd=tmp_path,
    )
    assert_cannot_verify(done, "no records database")
    assert not (tmp_path / "nowhere.db").exists()  # and none was made


def test_wrong_s3_keys_or_another_log_key_are_no_verdict(settings, tmp_path):
    wrong_s3 = verify_command(env={**settings, "RECORDS_S3_ACCESS_KEY": "nobody"}, cwd=tmp_path)
    assert_cannot_verify(wrong_s3, "cannot read the evidence store")
    other_key = base64.b64encode(b"x" * 32).decode()
    wrong_key = verify_command(env={**settings, "RECORDS_LOG_SIGNING_KEY": other_key}, cwd=tmp_path)
    assert_cannot_verify(wrong_key, "not the log's settings")
    right = verify_command(env=settings, cwd=tmp_path)
    assert right.returncode == 0, right.stdout + right.stderr
    assert "1 evidence objects" in right.stdout


def test_var_reads_the_settings_make_run_wrote(settings, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "records.env").write_text(
        "# written by `make run`\n" + "".join(f"{k}='{v}'\n" for k, v in settings.items())
    )
    # The file wins over a stray environment.
    done = verify_command(
        "--var", str(var), env={"RECORDS_LOG_SIGNING_KEY": "bm90IHRoZSBrZXk="}, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: the record is as it was written" in done.stdout
    missing = verify_command("--var", str(tmp_path / "elsewhere"), env={}, cwd=tmp_path)
    assert_cannot_verify(missing, "records.env not found")
