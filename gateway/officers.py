"""The certified officers of an on-site act: the caller and the colleagues they name.

On-site acts (opening a case, confirming an overload at the station) are done by at least two
officers holding enforcement certificates (执法证); the services check the count, the gateway
checks that every named colleague is a certified officer of the caller's agency.
"""

from __future__ import annotations

from enforcement.common.v1 import common_pb2
from gateway import db as gwdb
from gateway.problems import ProblemError
from gateway.security.principals import Principal, Role


def certified_officers(state, principal: Principal, co_officer_ids: list[str]):
    """The caller first, then each named colleague, as common_pb2.Officer messages."""
    if not principal.certificate_no:
        raise ProblemError(
            status=403,
            type="no-certificate",
            title="No enforcement certificate",
            detail="only officers holding an enforcement certificate (执法证) may act on site",
        )
    officers = [
        common_pb2.Officer(
            officer_id=principal.user_id,
            name=principal.display_name,
            certificate_no=principal.certificate_no,
        )
    ]
    with state.db.read() as conn:
        for officer_id in dict.fromkeys(co_officer_ids):
            if officer_id == principal.user_id:
                continue
            user = gwdb.get_user(conn, officer_id)
            colleague = user.to_principal() if user is not None and user.active else None
            if (
                colleague is None
                or colleague.agency_id != principal.agency_id
                or not colleague.has_role(Role.officer)
                or not colleague.certificate_no
            ):
                raise ProblemError(
                    status=422,
                    type="invalid-request",
                    title="Unknown co-officer",
                    detail=f"{officer_id} is not a certified officer of agency "
                    f"{principal.agency_id}",
                )
            officers.append(
                common_pb2.Officer(
                    officer_id=colleague.user_id,
                    name=colleague.display_name,
                    certificate_no=colleague.certificate_no,
                )
            )
    return officers
