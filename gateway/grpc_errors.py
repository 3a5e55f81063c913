"""gRPC status -> problem+json, so a service's refusal reaches the phone as a clear 4xx."""

from __future__ import annotations

import grpc

from gateway.problems import ProblemError

_MAP = {
    grpc.StatusCode.INVALID_ARGUMENT: (422, "invalid-request", "The request is not valid"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "not-allowed-now", "Not allowed in this state"),
    grpc.StatusCode.NOT_FOUND: (404, "not-found", "Not found"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "already-exists", "Already exists"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "forbidden", "Forbidden"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "too-many-requests", "Too many requests"),
    grpc.StatusCode.UNAVAILABLE: (503, "service-unavailable", "A service is unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "service-timeout", "A service did not answer in time"),
}


def problem_from_rpc_error(exc: grpc.aio.AioRpcError, service: str) -> ProblemError:
    status, slug, title = _MAP.get(exc.code(), (502, "service-error", "A service failed"))
    detail = exc.details() if status < 500 else f"{service}: {exc.code().name}"
    headers = {"Retry-After": "60"} if status == 429 else None
    return ProblemError(status=status, type=slug, title=title, detail=detail, headers=headers)


async def call_service(service: str, method, request, **kwargs):
    """One call to a service; its refusal becomes the matching problem answer."""
    try:
        return await method(request, **kwargs)
    except grpc.aio.AioRpcError as exc:
        raise problem_from_rpc_error(exc, service) from exc
