"""Channel construction and per-call metadata, shared by the sync and asyncio Publishers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
import grpc.aio

from ._version import VERSION
from .options import TLS

# grpc-core waits 1 s before reconnecting after a failed connection and fails
# calls at once meanwhile; shorten it so that a retry after RetryPolicy's
# backoff really tries to connect again.
_DEFAULT_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.primary_user_agent", f"cable-sdk-python/{VERSION}"),
)

ChannelOptions = Sequence[tuple[str, Any]]


def options(extra: ChannelOptions) -> list[tuple[str, Any]]:
    """The SDK's channel options followed by the caller's."""
    return [*_DEFAULT_OPTIONS, *extra]


def sync_channel(target: str, tls: TLS | None, extra: ChannelOptions) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(target, options=options(extra))
    return grpc.secure_channel(target, tls.credentials(), options=options(extra))


def aio_channel(target: str, tls: TLS | None, extra: ChannelOptions) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(target, options=options(extra))
    return grpc.aio.secure_channel(target, tls.credentials(), options=options(extra))


def metadata(api_key: str | None) -> tuple[tuple[str, str], ...]:
    """Per-call metadata: ``authorization: Bearer <key>`` when a key is given.

    Sent as call metadata rather than call credentials so that it also
    travels on plaintext channels.
    """
    if api_key is None:
        return ()
    if not api_key or not api_key.isprintable() or not api_key.isascii() or " " in api_key:
        raise ValueError("api_key must be non-empty printable ASCII without spaces")
    return (("authorization", f"Bearer {api_key}"),)


def validate(target: str, timeout: float) -> None:
    if not target:
        raise ValueError("target must be HOST:PORT (or any gRPC target)")
    if not timeout > 0:
        raise ValueError("timeout must be a positive number of seconds")
