"""Typed dependencies for routes: the app's state and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.clients import ServiceClients
from gateway.config import Settings
from gateway.problems import ProblemError
from gateway.security.accounts import AccountStates
from gateway.security.caps import StreamSlots
from gateway.security.principals import Principal, Role
from gateway.security.ratelimit import SlidingWindow
from gateway.security.refresh import RefreshTokens
from gateway.security.tokens import TokenService
from services.chassis.db import Database


@dataclass
class GatewayState:
    """Everything the routes share, built once in the app's lifespan."""

    settings: Settings
    db: Database
    clients: ServiceClients
    tokens: TokenService
    refresh: RefreshTokens
    login_failures: SlidingWindow
    public_requests: SlidingWindow
    accounts: AccountStates
    streams: StreamSlots | None = None  # live streams open per user
    exports: SlidingWindow | None = None  # public exports per client address


def get_state(request: Request) -> GatewayState:
    return request.app.state.gateway


State = Annotated[GatewayState, Depends(get_state)]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /v1/auth/login")


def current_principal(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            status=401,
            type="unauthenticated",
            title="Login required",
            detail="send an access token as 'Authorization: Bearer ...'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = state.tokens.decode_access(credentials.credentials)
    scope_state = request.scope.setdefault("state", {})
    scope_state["user_id"] = principal.user_id  # the access log's
    scope_state["agency_id"] = principal.agency_id  # the audit log's
    # The token proves who; the account's current state decides whether it still counts.
    return state.accounts.check(principal)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role):
    """A dependency that lets through callers holding any of `roles`."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            allowed = ", ".join(r.value for r in roles)
            raise ProblemError(
                status=403,
                type="forbidden",
                title="Not allowed for your role",
                detail=f"this needs one of the roles: {allowed}",
            )
        return principal

    return check


Officer = Annotated[Principal, Depends(require_roles(Role.officer))]


def client_address(request: Request) -> str:
    # Behind a proxy, run uvicorn with --proxy-headers so this is the caller's address.
    return request.client.host if request.client else "unknown"


def too_many(retry_after: int, what: str) -> ProblemError:
    return ProblemError(
        status=429,
        type="too-many-requests",
        title="Too many requests",
        detail=f"{what}; try again in {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


def public_rate_limit(request: Request, state: State) -> None:
    """A dependency of the public routes: a fair share for every client address."""
    wait = state.public_requests.take(client_address(request))  # checked and counted at once
    if wait:
        raise too_many(wait, "too many requests from your address")
