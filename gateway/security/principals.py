"""Who is calling: users with roles and a jurisdiction (agency, town/street)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    officer = "officer"  # 执法人员
    legal_reviewer = "legal_reviewer"  # 法制审核人员
    supervisor = "supervisor"
    admin = "admin"
    venue_owner = "venue_owner"  # a restaurant's operator: sees their own venue's gas alarms


@dataclass(frozen=True)
class Principal:
    """A logged-in user as the access token describes them."""

    user_id: str
    username: str
    roles: frozenset[Role]
    agency_id: str
    town: str | None  # town/street (乡镇/街道) of the user's jurisdiction; None = whole agency
    display_name: str
    certificate_no: str | None = None  # 执法证号, officers only
    venue_id: str | None = None  # venue owners only
    token_version: int = 0  # the account's version when the token was issued

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds any of `roles`."""
        return bool(self.roles.intersection(roles))
