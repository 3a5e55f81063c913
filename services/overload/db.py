"""Overload tables."""

import sqlalchemy as sa

from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)
