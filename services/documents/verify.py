"""Re-hash every stored document and case file: `python -m services.documents.verify [--var VAR]`.

Reads DOCUMENTS_ settings (or the embedded stack's, VAR/documents.env), streams each PDF in
the bucket through SHA-256 and compares it with the hash the document was issued with (the
hash whose record entry is in the signed log; `python -m services.records.verify` checks that
log). Exits 1 when a PDF is missing or changed, or a document never reached the record.

It is the documents service's own command, not part of the records verifier: the PDFs, their
hashes and the bucket belong to this service, and services never read each other's stores.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from services.chassis.db import Database
from services.chassis.storage import ObjectStore
from services.documents import db
from services.documents.config import Settings


def settings_from_env_file(path: Path) -> Settings:
    """DOCUMENTS_ settings from a KEY='value' file (what `make run` writes to
    var/documents.env); they win over the environment."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("DOCUMENTS_") and not line.lstrip().startswith("#"):
            values[key.removeprefix("DOCUMENTS_").lower()] = shlex.split(value)[0] if value else ""
    return Settings(**values)


def verify(settings: Settings) -> list[dict]:
    """One finding per document or case file that is not as issued."""
    database = Database.from_url(settings.database_url)
    store = ObjectStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    problems = []
    try:
        with database.read() as conn:
            documents = db.all_documents(conn)
            case_files = list(conn.execute(db.case_files.select()))
        for d in documents:
            check = store.verify_sha256(settings.pdf_bucket, d.object_key, d.sha256, d.size)
            if not check.ok:
                problems.append(
                    {
                        "document_id": d.document_id,
                        "number": d.number,
                        "problem": check.reason or "the PDF does not match its SHA-256",
                        "actual_sha256": check.actual_sha256,
                    }
                )
            elif not d.entry_id:
                problems.append(
                    {
                        "document_id": d.document_id,
                        "number": d.number,
                        "problem": "its hash was never appended to the case's record",
                    }
                )
        for f in case_files:
            check = store.verify_sha256(settings.archive_bucket, f.object_key, f.sha256, f.size)
            if not check.ok:
                problems.append(
                    {
                        "case_file": f.case_id,
                        "problem": check.reason or "the case file does not match its SHA-256",
                        "actual_sha256": check.actual_sha256,
                    }
                )
        return problems if documents or case_files else []
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", type=Path, help="the embedded stack's var/ directory")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    settings = settings_from_env_file(args.var / "documents.env") if args.var else Settings()
    problems = verify(settings)
    if args.json:
        print(json.dumps({"ok": not problems, "problems": problems}, ensure_ascii=False))
    else:
        for p in problems:
            print(f"MISMATCH {json.dumps(p, ensure_ascii=False)}")
        print("documents: all PDFs match their hashes" if not problems else "documents: FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
