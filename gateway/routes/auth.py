"""Officer login: a short-lived access token and a rotating refresh token."""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from gateway import db as gwdb
from gateway.deps import CurrentPrincipal, State, client_address, too_many
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES, ProblemError
from gateway.security.passwords import hash_password, verify_password
from gateway.security.principals import Principal

PASSWORD_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password")

router = APIRouter(prefix="/v1/auth", tags=["auth"])

# Compared against when the username is unknown, so both paths cost one argon2 verify.
_DUMMY_HASH = hash_password("not-a-real-password")


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_cookie: str | None = Field(
        default=None,
        max_length=4096,
        description="the device_cookie an earlier login of this account on this phone or "
        "browser answered: failed logins from strangers elsewhere do not lock it out",
    )


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth 2 token type, not a secret)
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_token: str
    device_cookie: str | None = Field(
        default=None,
        description="logins only: keep it on this device and send it with the next login",
    )


class Me(BaseModel):
    user_id: str
    username: str
    display_name: str
    roles: list[str]
    agency_id: str
    agency_name: str | None = None
    town: str | None
    certificate_no: str | None
    venue_id: str | None = None


def _check_login(state, username: str, password: str) -> Principal | None:
    with state.db.read() as conn:
        user = gwdb.get_user_by_username(conn, username)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return user.to_principal()


async def _pair(state, principal: Principal) -> TokenPair:
    access, expires_in = state.tokens.issue_access(principal)
    refresh, _expires_at = await asyncio.to_thread(state.refresh.issue, principal)
    return TokenPair(access_token=access, expires_in=expires_in, refresh_token=refresh)


async def _log_in(
    state, request: Request, username: str, password: str, device_cookie: str | None = None
) -> TokenPair:
    # Failed attempts are counted so that guessing is slow but a stranger cannot lock an
    # officer out (docs/security.md, issue 13 item 10): a device that logged in to this account
    # before (its device cookie) has a count of its own and nothing else; any other attempt
    # counts against its address (a stranger locks out only themselves) and against the
    # username with a higher limit (a botnet guessing one password from many addresses locks
    # out only devices the officer never used). A correct password after the limit still
    # waits, so guessing gains nothing.
    settings = state.settings
    cookie = state.tokens.device_cookie_id(device_cookie, username)
    if cookie is not None:
        keys = [(f"cookie:{cookie}", settings.login_failures_per_15_min)]
    else:
        keys = [
            (f"addr:{client_address(request)}", settings.login_failures_per_15_min),
            (f"user:{username.lower()}", settings.login_failures_per_username_15_min),
        ]
    # Off the loop: with gateway replicas the counts live in the shared database.
    wait = await asyncio.to_thread(
        lambda: max(state.login_failures.retry_after(k, limit=n) for k, n in keys)
    )
    if wait:
        raise too_many(wait, "too many failed logins")
    # Password checks queue on their own small pool: a wave of logins (argon2 costs ~0.15 s
    # of CPU each) must not hold up device posts and alarms in the shared thread pool.
    check = partial(contextvars.copy_context().run, _check_login, state)  # keeps the request id
    principal = await asyncio.get_running_loop().run_in_executor(
        PASSWORD_CHECKS, check, username, password
    )
    if principal is None:
        await asyncio.to_thread(lambda: [state.login_failures.hit(k) for k, _n in keys])
        raise ProblemError(
            status=401,
            type="bad-credentials",
            title="Login failed",
            detail="unknown username or wrong password",
        )
    pair = await _pair(state, principal)
    pair.device_cookie = state.tokens.issue_device_cookie(principal)
    return pair


@router.post(
    "/login",
    operation_id="login",
    response_model=TokenPair,
    responses={**PROBLEM_RESPONSES, **RATE_LIMITED_RESPONSES},
    summary="Log in with username and password",
)
async def login(body: LoginRequest, state: State, request: Request) -> TokenPair:
    """Trade a username and password for an access token (15 minutes) and a refresh token
    (14 days). Send the access token as `Authorization: Bearer ...`; when it expires, trade the
    refresh token at `POST /v1/auth/refresh`. The answer's `device_cookie` is kept on the
    device and sent with its next login: failed logins elsewhere then never lock it out.
    Failed attempts answer 429 past the limits (docs/security.md) until the oldest ages out."""
    return await _log_in(state, request, body.username, body.password, body.device_cookie)


_FORM = "application/x-www-form-urlencoded"


@router.post(
    "/token",
    operation_id="loginForm",
    response_model=TokenPair,
    responses={
        **PROBLEM_RESPONSES,
        **RATE_LIMITED_RESPONSES,
        415: {"description": "Not sent as a form", "content": PROBLEM_RESPONSES[400]["content"]},
    },
    summary="Log in with a form (OAuth 2 password flow; the /docs login)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["password"]},
                            "username": {"type": "string", "minLength": 1, "maxLength": 64},
                            "password": {"type": "string", "minLength": 1, "maxLength": 256},
                        },
                    },
                    "example": {
                        "grant_type": "password",
                        "username": "officer1",
                        "password": "the demo password",
                    },
                }
            },
        }
    },
)
async def login_form(state: State, request: Request) -> TokenPair:
    """The same login as `POST /v1/auth/login`, as an OAuth 2 password grant (RFC 6749 4.3):
    form fields `grant_type=password`, `username`, `password`. The "Authorize" button of
    /docs logs in here; the answer is the same token pair, with the same limits."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        raise ProblemError(
            status=415,
            type="unsupported-media-type",
            title="Unsupported Media Type",
            detail=f"send the form as {_FORM}",
        )
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    fields = {k: v[0] for k, v in form.items() if v}
    errors = [
        {"loc": ["body", name], "msg": f"give 1 to {limit} characters"}
        for name, limit in (("username", 64), ("password", 256))
        if not 1 <= len(fields.get(name, "")) <= limit
    ]
    if fields.get("grant_type", "password") != "password":
        errors.append({"loc": ["body", "grant_type"], "msg": "only the password grant"})
    if errors:
        raise ProblemError(
            status=422,
            type="invalid-request",
            title="The request is not valid",
            detail="; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors),
            errors=errors,
        )
    return await _log_in(state, request, fields["username"], fields["password"])


@router.post(
    "/refresh",
    operation_id="refreshToken",
    response_model=TokenPair,
    responses=PROBLEM_RESPONSES,
    summary="Trade a refresh token for a new pair (the old one stops working)",
)
async def refresh(body: RefreshRequest, state: State) -> TokenPair:
    """Trade the refresh token of `POST /v1/auth/login` for a new access token and a new refresh
    token. The one sent stops working at once; a refresh token used twice ends every session
    of the account (a stolen copy is detected)."""
    principal, new_refresh, _expires_at = await asyncio.to_thread(
        state.refresh.rotate, body.refresh_token
    )
    access, expires_in = state.tokens.issue_access(principal)
    return TokenPair(access_token=access, expires_in=expires_in, refresh_token=new_refresh)


@router.get(
    "/me",
    operation_id="me",
    response_model=Me,
    responses=PROBLEM_RESPONSES,
    summary="Who the access token belongs to",
)
async def me(principal: CurrentPrincipal, state: State) -> Me:
    """The caller as the access token says: user id, roles, agency (its id and name),
    town/street, enforcement certificate. The officer app shows it and keeps `user_id` for
    its own writes."""
    return Me(
        agency_name=state.settings.agency_names.get(principal.agency_id),
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        roles=sorted(r.value for r in principal.roles),
        agency_id=principal.agency_id,
        town=principal.town,
        certificate_no=principal.certificate_no,
        venue_id=principal.venue_id,
    )
