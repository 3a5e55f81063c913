"""User administration for an agency's admins, and a user's own password.

Accounts are never deleted: a departed officer is deactivated, which ends their sessions
(refresh tokens) and their access tokens at once: every request checks the account's state
(`gateway.security.accounts`). A legal reviewer who is deactivated or loses the role gets no
new review tasks and their open ones return to assignment (the review service is told first,
over gRPC: see `_hand_back_reviews`).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import IntegrityError

from enforcement.review.v1 import review_pb2
from gateway import db as gwdb
from gateway.deps import CurrentPrincipal, State, require_roles, too_many
from gateway.fields import IsoAwareDateTime
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES, ProblemError
from gateway.routes.auth import PASSWORD_CHECKS
from gateway.security.audit import AuditLog
from gateway.security.passwords import hash_password, verify_password
from gateway.security.principals import Principal, Role
from services.chassis.db import as_utc

router = APIRouter(tags=["users"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
UserId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
MIN_PASSWORD = 12
STAFF = {Role.officer, Role.legal_reviewer, Role.supervisor, Role.admin}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_roles(roles: list[Role], certificate_no: str | None, venue_id: str | None) -> None:
    if Role.officer in roles and not certificate_no:
        raise ValueError("an officer needs an enforcement certificate number (执法证号)")
    if Role.venue_owner in roles and (not venue_id or STAFF.intersection(roles)):
        raise ValueError("a venue owner is bound to a venue_id and holds no staff role")
    if venue_id and Role.venue_owner not in roles:
        raise ValueError("only a venue owner is bound to a venue")


class UserIn(Strict):
    username: str = Field(pattern=r"^[a-z0-9._-]{3,64}$")
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[Role] = Field(min_length=1, max_length=5)
    town: str | None = Field(default=None, min_length=1, max_length=64)
    certificate_no: str | None = Field(default=None, min_length=1, max_length=40)
    venue_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _consistent(self) -> UserIn:
        _check_roles(self.roles, self.certificate_no, self.venue_id)
        return self


class UserChange(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=5)
    town: str | None = Field(default=None, max_length=64, description='"" for the whole agency')
    certificate_no: str | None = Field(default=None, max_length=40)
    active: bool | None = None


class UserOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    roles: list[str]
    town: str | None
    certificate_no: str | None
    venue_id: str | None
    active: bool
    temporary_password: str | None = Field(
        default=None, description="only when issued: hand it over; the user changes it"
    )


def _out(user: gwdb.User, password: str | None = None) -> UserOut:
    return UserOut(
        user_id=user.user_id, username=user.username, display_name=user.display_name,
        roles=list(user.roles), town=user.town, certificate_no=user.certificate_no,
        venue_id=user.venue_id, active=user.active, temporary_password=password,
    )  # fmt: skip


def _temporary_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, ~96 bits


def _theirs(state, user_id: str, admin: Principal) -> gwdb.User:
    with state.db.read() as conn:
        user = gwdb.get_user(conn, user_id)
    if user is None or user.agency_id != admin.agency_id:
        raise ProblemError(
            status=404, type="not-found", title="No such user",
            detail=f"no user {user_id} in your agency",
        )  # fmt: skip
    return user


async def _hand_back_reviews(state, user: gwdb.User, changes: dict) -> None:
    """A legal reviewer who is deactivated or loses the role: the review service stops giving
    them tasks and hands their open ones to another reviewer (or back to the waiting queue).

    A synchronous gRPC call, made before the account change is committed: the gateway has no
    outbox of its own to carry an event, and this way the admin sees a failure (503) and the
    account stays as it was, so nothing is half done. The call is idempotent, and if the
    commit after it failed, the reviewer re-registers the next time they open their queue.
    """
    was_reviewer = Role.legal_reviewer.value in user.roles and user.active
    roles = changes.get("roles", list(user.roles))
    stays = changes.get("active", user.active) and Role.legal_reviewer.value in roles
    if was_reviewer and not stays:
        await call_service(
            "review",
            state.clients.review.DeactivateReviewer,
            review_pb2.DeactivateReviewerRequest(
                reviewer_id=user.user_id, agency_id=user.agency_id
            ),
        )


@router.get(
    "/v1/users",
    operation_id="listUsers",
    response_model=list[UserOut],
    responses=PROBLEM_RESPONSES,
    summary="The agency's accounts (admins)",
)
async def list_users(principal: Admin, state: State) -> list[UserOut]:
    """The accounts of the caller's agency, for its admins: roles, town/street, certificate,
    active or not. Never a password."""
    with state.db.read() as conn:
        return [_out(u) for u in gwdb.list_users(conn, principal.agency_id)]


@router.post(
    "/v1/users",
    operation_id="createUser",
    status_code=201,
    response_model=UserOut,
    responses=PROBLEM_RESPONSES,
    summary="Open an account in your agency with a temporary password (admins)",
)
async def create_user(body: UserIn, principal: Admin, state: State) -> UserOut:
    """Open an account in the admin's agency with roles, a town/street and an enforcement
    certificate for officers. The answer shows a temporary password once; the user changes it
    at first login."""
    password = _temporary_password()

    def create() -> gwdb.User:
        with state.db.unit_of_work() as uow:
            user_id = gwdb.create_user(
                uow.conn, username=body.username, password=password,
                display_name=body.display_name, roles=body.roles, agency_id=principal.agency_id,
                town=body.town, certificate_no=body.certificate_no, venue_id=body.venue_id,
            )  # fmt: skip
            uow.commit()
        with state.db.read() as conn:
            return gwdb.get_user(conn, user_id)

    try:
        user = await asyncio.get_running_loop().run_in_executor(PASSWORD_CHECKS, create)
    except IntegrityError as exc:
        raise ProblemError(
            status=409, type="conflict", title="Username taken",
            detail=f"the username {body.username} is taken",
        ) from exc  # fmt: skip
    return _out(user, password)


@router.patch(
    "/v1/users/{user_id}",
    operation_id="changeUser",
    response_model=UserOut,
    responses=PROBLEM_RESPONSES,
    summary="Change an account's name, roles, town, certificate, or deactivate it (admins)",
)
async def change_user(user_id: UserId, body: UserChange, principal: Admin, state: State) -> UserOut:
    """Change an account's name, roles, town/street or certificate, or deactivate it (its
    sessions end)."""
    user = _theirs(state, user_id, principal)
    changes = body.model_dump(exclude_unset=True)
    if user_id == principal.user_id and (
        changes.get("active") is False
        or ("roles" in changes and Role.admin not in changes["roles"])
    ):
        raise ProblemError(
            status=409, type="conflict", title="Not on yourself",
            detail="an admin cannot deactivate or demote their own account; ask another admin",
        )  # fmt: skip
    if "roles" in changes:
        changes["roles"] = sorted({Role(r).value for r in changes["roles"]})
    if "town" in changes:
        changes["town"] = changes["town"] or None
    if "certificate_no" in changes:
        changes["certificate_no"] = changes["certificate_no"] or None
    roles = [Role(r) for r in changes.get("roles", user.roles)]
    certificate = changes.get("certificate_no", user.certificate_no)
    try:
        _check_roles(roles, certificate, user.venue_id)
    except ValueError as exc:
        raise ProblemError(
            status=422, type="validation-error", title="Invalid request", detail=str(exc)
        ) from exc
    await _hand_back_reviews(state, user, changes)
    with state.db.unit_of_work() as uow:
        gwdb.update_user(uow.conn, user_id, **changes)
        uow.commit()
    state.accounts.forget(user_id)  # this replica refuses their old tokens from now on
    if changes.get("active") is False:
        await asyncio.to_thread(state.refresh.revoke_all, user_id)  # ends their sessions now
    with state.db.read() as conn:
        return _out(gwdb.get_user(conn, user_id))


@router.post(
    "/v1/users/{user_id}/password-reset",
    operation_id="resetUserPassword",
    response_model=UserOut,
    responses=PROBLEM_RESPONSES,
    summary="Issue a new temporary password and end the account's sessions (admins)",
)
async def reset_password(user_id: UserId, principal: Admin, state: State) -> UserOut:
    """Issue a new temporary password, shown once, and end every session of the account."""
    user = _theirs(state, user_id, principal)
    password = _temporary_password()
    hashed = await asyncio.get_running_loop().run_in_executor(
        PASSWORD_CHECKS, hash_password, password
    )
    with state.db.unit_of_work() as uow:
        gwdb.set_password_hash(uow.conn, user_id, hashed)
        gwdb.bump_token_version(uow.conn, user_id)  # whoever holds their tokens loses them now
        uow.commit()
    state.accounts.forget(user_id)
    await asyncio.to_thread(state.refresh.revoke_all, user_id)
    return _out(user, password)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=MIN_PASSWORD, max_length=256)

    @model_validator(mode="after")
    def _new(self) -> PasswordChange:
        if self.new_password == self.current_password:
            raise ValueError("the new password is the current one")
        return self


@router.post(
    "/v1/auth/password",
    operation_id="changeOwnPassword",
    status_code=204,
    responses={**PROBLEM_RESPONSES, **RATE_LIMITED_RESPONSES},
    summary="Change your own password; your other sessions end",
)
async def change_own_password(body: PasswordChange, principal: CurrentPrincipal, state: State):
    """Change your own password with the current one; your other sessions end."""

    def change() -> bool:
        with state.db.read() as conn:
            user = gwdb.get_user(conn, principal.user_id)
        if user is None or not verify_password(user.password_hash, body.current_password):
            return False
        with state.db.unit_of_work() as uow:
            gwdb.set_password_hash(uow.conn, user.user_id, hash_password(body.new_password))
            uow.commit()
        return True

    # A stolen access token must not become a way to guess the password: the login limit.
    key = f"password:{principal.user_id}"
    wait = state.login_failures.retry_after(key)
    if wait:
        raise too_many(wait, "too many wrong passwords")
    if not await asyncio.get_running_loop().run_in_executor(PASSWORD_CHECKS, change):
        state.login_failures.hit(key)
        raise ProblemError(
            status=403, type="forbidden", title="Wrong password",
            detail="the current password does not match",
        )  # fmt: skip
    await asyncio.to_thread(state.refresh.revoke_all, principal.user_id)
    return None


# -- the audit log -----------------------------------------------------------------------------


class AuditEntry(BaseModel):
    audit_id: int
    at: datetime
    user_id: str
    username: str | None = Field(description="null once the account is gone")
    display_name: str | None
    method: str
    route: str = Field(description="the route's template, e.g. /v1/users/{user_id}")
    path: str = Field(description="the path asked for, without its query")
    status: int = Field(description="the answer: 2xx done, 4xx refused")
    request_id: str


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_before_id: int | None = Field(description="send as before_id for older entries")


@router.get(
    "/v1/audit",
    operation_id="listAudit",
    response_model=AuditPage,
    responses=PROBLEM_RESPONSES,
    summary="Who did what: the agency's accounts' changes, newest first (admins)",
)
async def list_audit(
    principal: Admin,
    state: State,
    user_id: Annotated[str | None, Query(max_length=64, description="only this account")] = None,
    since: Annotated[IsoAwareDateTime | None, Query(description="from this time")] = None,
    until: Annotated[IsoAwareDateTime | None, Query(description="before this time")] = None,
    before_id: Annotated[int | None, Query(ge=1, description="page: older than this")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Every change an account of the agency asked of the gateway (a case opened, a review
    decided, an account or a device credential changed, a login refused is not one), with
    who, when, the route, and the answer's status, refused ones too; newest first. Reads are
    not listed, nor devices' posts (the services keep those)."""
    audit = AuditLog(lambda: state.db)
    rows = await asyncio.to_thread(
        audit.entries, principal.agency_id, user_id=user_id, since=since, until=until,
        before_id=before_id, limit=limit,
    )  # fmt: skip
    entries = [
        AuditEntry(
            audit_id=r.audit_id, at=as_utc(r.at), user_id=r.user_id, username=r.username,
            display_name=r.display_name, method=r.method, route=r.route, path=r.path,
            status=r.status, request_id=r.request_id,
        )
        for r in rows
    ]  # fmt: skip
    return AuditPage(
        entries=entries, next_before_id=entries[-1].audit_id if len(entries) == limit else None
    )
