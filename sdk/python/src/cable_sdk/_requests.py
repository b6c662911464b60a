"""The Publisher API's calls as data: which method, which request, how to read the response.

Shared by the sync and asyncio Publishers, which differ only in how they wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from . import _payload
from ._gen import publisher_pb2 as pb
from .results import (BroadcastResult, ChannelState, CreateChannelResult, DeleteEventsResult,
                      UpdateStateResult)

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One RPC to make: the stub's method name, the request and the response's conversion."""

    method: str
    request: Any
    convert: Callable[[Any], T]
    # Reads may be retried whenever the code is retryable; anything that
    # changes state only when it certainly was not sent.
    read_only: bool = False


def broadcast(stream: str, data: _payload.Data) -> Call[BroadcastResult]:
    return Call("Broadcast", pb.BroadcastRequest(stream=stream, data=_payload.encode(data)),
                lambda r: BroadcastResult(accepted=r.accepted))


def broadcast_batch(broadcasts: Iterable[tuple[str, _payload.Data]]) -> Call[BroadcastResult]:
    items = [pb.BroadcastRequest(stream=stream, data=_payload.encode(data))
             for stream, data in broadcasts]
    return Call("BroadcastBatch", pb.BroadcastBatchRequest(broadcasts=items),
                lambda r: BroadcastResult(accepted=r.accepted))


def disconnect(identifiers: Mapping[str, str], reconnect: bool) -> Call[None]:
    return Call("Disconnect",
                pb.DisconnectClientsRequest(identifiers=dict(identifiers), reconnect=reconnect),
                lambda r: None)


def transmit(sid: str, identifier: str, data: _payload.Data) -> Call[None]:
    return Call("Transmit",
                pb.TransmitRequest(sid=sid, identifier=identifier, data=_payload.encode(data)),
                lambda r: None)


def create_channel(name: str, state: _payload.Data, channel_type: str,
                   keep_events: bool) -> Call[CreateChannelResult]:
    return Call("CreateChannel",
                pb.CreateChannelRequest(name=name, state=_payload.encode(state), type=channel_type,
                                        no_events=not keep_events),
                lambda r: CreateChannelResult(created=r.created))


def get_state(name: str) -> Call[ChannelState]:
    return Call("GetState", pb.GetStateRequest(name=name),
                lambda r: ChannelState(state=r.state, revision=r.revision,
                                       last_event_id=r.last_event_id, type=r.type,
                                       keep_events=r.keep_events),
                read_only=True)


def update_state(name: str, expected_revision: int, state: _payload.Data | None,
                 events: Iterable[_payload.Data]) -> Call[UpdateStateResult]:
    request = pb.UpdateStateRequest(name=name, expected_revision=expected_revision,
                                    events=[_payload.encode(e) for e in events])
    if state is not None:
        request.state = _payload.encode(state)
    return Call("UpdateState", request,
                lambda r: UpdateStateResult(revision=r.revision, first_event_id=r.first_event_id))


def delete_events(name: str, keep_num: int | None,
                  keep_duration_ms: int | None) -> Call[DeleteEventsResult]:
    request = pb.DeleteEventsRequest(name=name)
    if keep_num is not None:
        request.keep_num = keep_num
    if keep_duration_ms is not None:
        request.keep_duration_ms = keep_duration_ms
    return Call("DeleteEvents", request, lambda r: DeleteEventsResult(deleted=r.deleted))


def list_channels(channel_type: str | None) -> Call[list[str]]:
    request = pb.ListChannelsRequest()
    if channel_type is not None:
        request.type = channel_type
    return Call("ListChannels", request, lambda r: list(r.names), read_only=True)
