"""A records replica for the sequencer's failover test: it stands by to sequence the log and
writes notes to the given cases from three threads, printing each answered write as
`ack <entry_id> <leaf_index or queued>`, until the stop file appears."""

import sys
import threading
import time
from pathlib import Path

from services.chassis.db import Database
from services.records import handlers
from services.records.sequencer import log_sequencer
from tests.records.conftest import meta

if __name__ == "__main__":
    url, name, wait_to_hold, stop_file, *case_ids = sys.argv[1:]
    database = Database.from_url(url)
    sequencer = log_sequencer(database)
    printing = threading.Lock()

    def say(line: str) -> None:
        with printing:
            print(line, flush=True)

    deadline = time.monotonic() + 30
    while wait_to_hold == "1" and sequencer.lease.connection is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    say("holding" if sequencer.lease.connection is not None else "standing-by")

    def write(n: int) -> None:
        i = 0
        while not Path(stop_file).exists():
            entry, _ = handlers.append_entry(
                database,
                case_id=case_ids[(n + i) % len(case_ids)],
                kind="note",
                payload={"text": f"{name} {n}-{i}"},
                corrects_entry_id="",
                meta=meta(),
            )
            say(f"ack {entry.entry_id} {'queued' if entry.queued else entry.leaf_index}")
            i += 1

    writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    say("stopped")
    database.dispose()
