"""Who is calling: users with roles and a jurisdiction (agency, town/street)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    officer = "officer"  # 执法人员
    legal_reviewer = "legal_reviewer"  # 法制审核人员
    supervisor = "supervisor"
    admin = "admin"


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    roles: frozenset[Role]
    agency_id: str
    town: str | None
    display_name: str
    certificate_no: str | None = None  # 执法证号, officers only

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))
