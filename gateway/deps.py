"""Typed dependencies for routes: the app's state and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.clients import ServiceClients
from gateway.config import Settings
from gateway.problems import ProblemError
from gateway.security.principals import Principal, Role
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


def get_state(request: Request) -> GatewayState:
    return request.app.state.gateway


State = Annotated[GatewayState, Depends(get_state)]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /v1/auth/login")


def current_principal(
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
    return state.tokens.decode_access(credentials.credentials)


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
