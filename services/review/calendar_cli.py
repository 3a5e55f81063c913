"""Operator CLI for the official calendar, on the review service's database.

    python -m services.review.calendar_cli show [YEAR]
    python -m services.review.calendar_cli enter FILE.json --by NAME [--agency ID]

FILE.json holds one year as the State Council's notice gives it:
    {"year": 2027, "notice_no": "国办发明电〔2026〕N号",
     "holidays": ["2027-01-01", ...], "makeup_days": ["2027-01-31", ...], "note": ""}

An entry goes through the same validation and versioning as the admin route; its event waits
in the outbox until the running review service's relay publishes it. Settings come from the
REVIEW_ environment, as for the service itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.chassis.db import Database
from services.chassis.workdays import InvalidCalendar
from services.review import calendar
from services.review.config import Settings
from services.review.grpc_api import policy_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.review.calendar_cli")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="sources, versions and the missing-year warning")
    show.add_argument("year", type=int, nargs="?", default=0)
    enter = sub.add_parser("enter", help="enter or correct a year from the notice")
    enter.add_argument("file", type=Path)
    enter.add_argument("--by", required=True, help="who enters it (kept with the version)")
    enter.add_argument("--agency", default="operator")
    args = parser.parse_args(argv)

    settings = Settings()
    database = Database.from_url(settings.database_url)
    try:
        if args.command == "show":
            today, warning, states = calendar.calendar_state(database, args.year)
            print(f"today (China): {today}")
            if warning:
                print(f"WARNING: {warning}")
            for s in states:
                latest = s.versions[0] if s.versions else None
                where = f"version {latest.version}, {latest.notice_no}" if latest else "-"
                print(f"{s.year}: {s.source.value} ({where})")
            return 0
        body = json.loads(args.file.read_text(encoding="utf-8"))
        year, recounted, created = calendar.publish_year(
            database,
            policy_of(settings),
            year=int(body["year"]),
            notice_no=str(body.get("notice_no", "")),
            holidays=list(body.get("holidays", [])),
            makeup_days=list(body.get("makeup_days", [])),
            entered_by=args.by,
            agency_id=args.agency,
            note=str(body.get("note", "")),
        )
        state = "stored" if created else "already stored"
        print(f"{year.year} version {year.version} {state}; {recounted} open reviews recounted")
        return 0
    except (InvalidCalendar, KeyError, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    finally:
        database.dispose()


if __name__ == "__main__":
    sys.exit(main())
