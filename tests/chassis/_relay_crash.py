"""Run an outbox relay that dies (os._exit) after publishing, before marking published."""

import os
import sys

from services.chassis.db import make_engine
from services.chassis.outbox import OutboxRelay


def die(_ids):
    os._exit(3)


if __name__ == "__main__":
    db_url, bootstrap = sys.argv[1], sys.argv[2]
    relay = OutboxRelay(
        make_engine(db_url), bootstrap=bootstrap, service="crashy", after_publish=die
    )
    relay.publish_batch()
    sys.exit(0)  # not reached when there was something to publish
