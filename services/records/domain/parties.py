"""Parties of a case (行政相对人) and their identifiers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015, mod 31)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-character unified social credit code (统一社会信用代码) with a good check."""
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_resident_id(number: str) -> bool:
    """True for an 18-digit resident ID number (GB 11643-1999, ISO 7064 MOD 11-2 check)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


class PartyKind(StrEnum):
    organization = "organization"
    person = "person"


@dataclass(frozen=True)
class Party:
    kind: PartyKind
    name: str
    credit_code: str = ""
    id_number: str = ""
    legal_representative: str = ""
    address: str = ""


class InvalidParty(ValueError):
    pass


def validate_party(party: Party) -> None:
    """An organisation needs a valid credit code; a person a valid resident ID if given."""
    if not party.name.strip():
        raise InvalidParty("party name is required")
    if party.kind is PartyKind.organization:
        if not is_valid_uscc(party.credit_code):
            raise InvalidParty(
                f"credit code {party.credit_code!r} is not a valid unified social credit code"
            )
    elif party.id_number and not is_valid_resident_id(party.id_number):
        raise InvalidParty("id number is not a valid 18-digit resident ID number")
