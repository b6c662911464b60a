"""Typed errors: every failed call raises a CableError subclass chosen by its gRPC status code."""

from __future__ import annotations

import grpc

# Codes after which trying again later may succeed. Whether the SDK retries
# by itself is narrower: see CableError.not_sent and the README.
RETRYABLE_CODES = frozenset({
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
})

# What grpc-core says when no connection could be made (refused, reset during
# the handshake, name resolution failed): the call never left this process.
_NOT_SENT_MARKERS = (
    "failed to connect to all addresses",
    "errors resolving",
    "DNS resolution failed",
    "empty address list",
)


class CableError(Exception):
    """A Publisher call failed.

    Attributes:
        code: the gRPC status code.
        details: the server's (or gRPC's) message.
        retryable: the code is one where a later retry may succeed
            (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED). It does not
            say whether the call took effect: a retried broadcast may be
            delivered twice unless ``not_sent`` is true.
        not_sent: the call certainly never reached the server (no connection
            could be made), so retrying it cannot publish twice. Only such
            failures are retried automatically for calls that publish.
    """

    def __init__(self, code: grpc.StatusCode, details: str, *, not_sent: bool = False) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details
        self.not_sent = not_sent

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES


class Cancelled(CableError):
    """CANCELLED: the call was cancelled (e.g. the channel was closed)."""


class InvalidArgument(CableError):
    """INVALID_ARGUMENT: the request is malformed (e.g. an empty stream name)."""


class DeadlineExceeded(CableError):
    """DEADLINE_EXCEEDED: no answer before the deadline; the call may or may not have taken effect."""


class NotFound(CableError):
    """NOT_FOUND: e.g. GetState of an unknown channel."""


class AlreadyExists(CableError):
    """ALREADY_EXISTS."""


class PermissionDenied(CableError):
    """PERMISSION_DENIED: the API key may not do this."""


class ResourceExhausted(CableError):
    """RESOURCE_EXHAUSTED: a limit was hit (message size, rate); retry later."""


class FailedPrecondition(CableError):
    """FAILED_PRECONDITION: e.g. UpdateState's expected revision is stale; read again and retry."""


class Unimplemented(CableError):
    """UNIMPLEMENTED: the server does not offer this method."""


class Internal(CableError):
    """INTERNAL: the server failed."""


class Unavailable(CableError):
    """UNAVAILABLE: the server could not be reached or is not serving."""


class Unauthenticated(CableError):
    """UNAUTHENTICATED: the API key is missing or wrong."""


_BY_CODE: dict[grpc.StatusCode, type[CableError]] = {
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}


def error_for(code: grpc.StatusCode, details: str) -> CableError:
    """The CableError subclass for a status code (CableError itself for codes without one)."""
    not_sent = code == grpc.StatusCode.UNAVAILABLE and any(m in details for m in _NOT_SENT_MARKERS)
    return _BY_CODE.get(code, CableError)(code, details, not_sent=not_sent)


def from_rpc_error(error: grpc.RpcError) -> CableError:
    """Converts a grpc.RpcError (sync or grpc.aio) into a CableError."""
    code_fn = getattr(error, "code", None)
    details_fn = getattr(error, "details", None)
    code = code_fn() if callable(code_fn) else None
    details = details_fn() if callable(details_fn) else None
    return error_for(code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN,
                     details or str(error))
