"""Field types the routes share.

Dates and times are RFC 3339 strings, as the OpenAPI document says. Pydantic alone would also
read a number as Unix time (`date_to=0` became 1970-01-01), so numbers are refused instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("give an RFC 3339 string (e.g. 2026-11-28), not a number")
    return value


IsoDate = Annotated[date, BeforeValidator(_not_a_number)]
IsoDateTime = Annotated[datetime, BeforeValidator(_not_a_number)]
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]
