"""The blocking Publisher: one gRPC channel to a Cable server's Publisher API."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TypeVar

import grpc

from . import _channel, _requests, _retry
from ._gen.publisher_pb2_grpc import PublisherStub
from ._payload import Data
from .errors import CableError, from_rpc_error
from .options import DEFAULT_TIMEOUT, TLS, RetryPolicy
from .results import (BroadcastResult, ChannelState, CreateChannelResult, DeleteEventsResult,
                      UpdateStateResult)

T = TypeVar("T")


class Publisher:
    """Publishes to a Cable server through ``cable.v1.Publisher`` (blocking calls).

    Example::

        with cable_sdk.Publisher("127.0.0.1:50051", api_key=key) as publisher:
            publisher.broadcast("chat:lobby", {"message": "hi"})

    Args:
        target: the server's gRPC address, ``HOST:PORT``.
        api_key: sent with every call as ``authorization: Bearer <key>``.
        tls: TLS settings; None (the default) is plaintext.
        timeout: seconds each call may take, retries included, unless the
            call passes its own ``timeout``.
        retry: when failed calls are tried again (see RetryPolicy: calls that
            publish are retried only when they certainly never reached the
            server).
        channel_options: extra gRPC channel arguments.

    Every method raises a CableError subclass when the call fails, and
    TypeError/ValueError for data it cannot encode. Data may be a ``str``
    (sent as is: valid JSON arrives as that JSON value, other text as a JSON
    string), UTF-8 ``bytes``, or any JSON-serializable object (``json.dumps``).
    Safe to use from several threads at once.
    """

    def __init__(self, target: str, *, api_key: str | None = None, tls: TLS | None = None,
                 timeout: float = DEFAULT_TIMEOUT, retry: RetryPolicy = RetryPolicy(),
                 channel_options: _channel.ChannelOptions = ()) -> None:
        _channel.validate(target, timeout)
        self._metadata = _channel.metadata(api_key)
        self._timeout = timeout
        self._retry = retry
        self._channel = _channel.sync_channel(target, tls, channel_options)
        self._stub = PublisherStub(self._channel)
        self._closed = False

    def close(self) -> None:
        """Closes the channel; calls in flight are cancelled, later calls raise ValueError."""
        self._closed = True
        self._channel.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def broadcast(self, stream: str, data: Data, *,
                  timeout: float | None = None) -> BroadcastResult:
        """Publishes ``data`` to every subscriber of ``stream`` (a non-empty name)."""
        return self._invoke(_requests.broadcast(stream, data), timeout)

    def broadcast_batch(self, broadcasts: Iterable[tuple[str, Data]], *,
                        timeout: float | None = None) -> BroadcastResult:
        """Publishes ``(stream, data)`` pairs in one call, in order; all are validated first."""
        return self._invoke(_requests.broadcast_batch(broadcasts), timeout)

    def disconnect(self, identifiers: Mapping[str, str], reconnect: bool = False, *,
                   timeout: float | None = None) -> None:
        """Disconnects every connection whose identifiers include all these pairs (not empty)."""
        self._invoke(_requests.disconnect(identifiers, reconnect), timeout)

    def transmit(self, sid: str, identifier: str, data: Data, *,
                 timeout: float | None = None) -> None:
        """Sends ``data`` to one connection (``sid`` from its welcome) for one subscription."""
        self._invoke(_requests.transmit(sid, identifier, data), timeout)

    def create_channel(self, name: str, state: Data, *, channel_type: str = "",
                       keep_events: bool = True,
                       timeout: float | None = None) -> CreateChannelResult:
        """Creates a stateful channel with a starting state; an existing one is left unchanged."""
        return self._invoke(_requests.create_channel(name, state, channel_type, keep_events),
                            timeout)

    def get_state(self, name: str, *, timeout: float | None = None) -> ChannelState:
        """A stateful channel's state; NotFound for an unknown channel."""
        return self._invoke(_requests.get_state(name), timeout)

    def update_state(self, name: str, expected_revision: int, *, state: Data | None = None,
                     events: Iterable[Data] = (),
                     timeout: float | None = None) -> UpdateStateResult:
        """Compare-and-set: applies only at ``expected_revision``, else FailedPrecondition.

        ``state`` None leaves the state unchanged (pass ``"null"`` to set JSON
        null); ``events`` are appended in order.
        """
        return self._invoke(_requests.update_state(name, expected_revision, state, events), timeout)

    def delete_events(self, name: str, *, keep_num: int | None = None,
                      keep_duration_ms: int | None = None,
                      timeout: float | None = None) -> DeleteEventsResult:
        """Deletes old events, keeping the newest ``keep_num`` and those younger than
        ``keep_duration_ms``, whichever keeps more (at least one must be given)."""
        return self._invoke(_requests.delete_events(name, keep_num, keep_duration_ms), timeout)

    def list_channels(self, *, channel_type: str | None = None,
                      timeout: float | None = None) -> list[str]:
        """Names of the stateful channels, only those of ``channel_type`` when given."""
        return self._invoke(_requests.list_channels(channel_type), timeout)

    def _invoke(self, call: _requests.Call[T], timeout: float | None) -> T:
        if self._closed:
            raise ValueError("the Publisher is closed")
        budget = self._timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        method = getattr(self._stub, call.method)
        attempt = 1
        while True:
            remaining = max(deadline - time.monotonic(), 0.0)
            try:
                response = method(call.request, timeout=remaining, metadata=self._metadata)
                return call.convert(response)
            except grpc.RpcError as e:
                error: CableError = from_rpc_error(e)
            delay = _retry.delay_before_retry(self._retry, attempt, error, call.read_only,
                                              deadline - time.monotonic())
            if delay is None:
                raise error
            time.sleep(delay)
            attempt += 1
