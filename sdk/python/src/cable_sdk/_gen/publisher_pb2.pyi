from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BroadcastRequest(_message.Message):
    __slots__ = ("stream", "data")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    stream: str
    data: str
    def __init__(self, stream: _Optional[str] = ..., data: _Optional[str] = ...) -> None: ...

class BroadcastResponse(_message.Message):
    __slots__ = ("accepted", "offset", "epoch")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    offset: int
    epoch: str
    def __init__(self, accepted: _Optional[int] = ..., offset: _Optional[int] = ..., epoch: _Optional[str] = ...) -> None: ...

class BroadcastBatchRequest(_message.Message):
    __slots__ = ("broadcasts",)
    BROADCASTS_FIELD_NUMBER: _ClassVar[int]
    broadcasts: _containers.RepeatedCompositeFieldContainer[BroadcastRequest]
    def __init__(self, broadcasts: _Optional[_Iterable[_Union[BroadcastRequest, _Mapping]]] = ...) -> None: ...

class DisconnectClientsRequest(_message.Message):
    __slots__ = ("identifiers", "reconnect")
    class IdentifiersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_FIELD_NUMBER: _ClassVar[int]
    identifiers: _containers.ScalarMap[str, str]
    reconnect: bool
    def __init__(self, identifiers: _Optional[_Mapping[str, str]] = ..., reconnect: _Optional[bool] = ...) -> None: ...

class DisconnectClientsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TransmitRequest(_message.Message):
    __slots__ = ("sid", "identifier", "data")
    SID_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    sid: str
    identifier: str
    data: str
    def __init__(self, sid: _Optional[str] = ..., identifier: _Optional[str] = ..., data: _Optional[str] = ...) -> None: ...

class TransmitResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateChannelRequest(_message.Message):
    __slots__ = ("name", "state", "type", "no_events")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NO_EVENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: str
    type: str
    no_events: bool
    def __init__(self, name: _Optional[str] = ..., state: _Optional[str] = ..., type: _Optional[str] = ..., no_events: _Optional[bool] = ...) -> None: ...

class CreateChannelResponse(_message.Message):
    __slots__ = ("created",)
    CREATED_FIELD_NUMBER: _ClassVar[int]
    created: bool
    def __init__(self, created: _Optional[bool] = ...) -> None: ...

class GetStateRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetStateResponse(_message.Message):
    __slots__ = ("state", "revision", "last_event_id", "type", "keep_events")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEEP_EVENTS_FIELD_NUMBER: _ClassVar[int]
    state: str
    revision: int
    last_event_id: int
    type: str
    keep_events: bool
    def __init__(self, state: _Optional[str] = ..., revision: _Optional[int] = ..., last_event_id: _Optional[int] = ..., type: _Optional[str] = ..., keep_events: _Optional[bool] = ...) -> None: ...

class UpdateStateRequest(_message.Message):
    __slots__ = ("name", "expected_revision", "state", "events")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    expected_revision: int
    state: str
    events: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., expected_revision: _Optional[int] = ..., state: _Optional[str] = ..., events: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateStateResponse(_message.Message):
    __slots__ = ("revision", "first_event_id")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    FIRST_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    revision: int
    first_event_id: int
    def __init__(self, revision: _Optional[int] = ..., first_event_id: _Optional[int] = ...) -> None: ...

class DeleteEventsRequest(_message.Message):
    __slots__ = ("name", "keep_num", "keep_duration_ms")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEEP_NUM_FIELD_NUMBER: _ClassVar[int]
    KEEP_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    name: str
    keep_num: int
    keep_duration_ms: int
    def __init__(self, name: _Optional[str] = ..., keep_num: _Optional[int] = ..., keep_duration_ms: _Optional[int] = ...) -> None: ...

class DeleteEventsResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class HistoryRequest(_message.Message):
    __slots__ = ("stream", "after_offset", "epoch", "since_unix_ms", "limit")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    AFTER_OFFSET_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    SINCE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    stream: str
    after_offset: int
    epoch: str
    since_unix_ms: int
    limit: int
    def __init__(self, stream: _Optional[str] = ..., after_offset: _Optional[int] = ..., epoch: _Optional[str] = ..., since_unix_ms: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class HistoryMessage(_message.Message):
    __slots__ = ("offset", "data", "time_unix_ms")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    offset: int
    data: str
    time_unix_ms: int
    def __init__(self, offset: _Optional[int] = ..., data: _Optional[str] = ..., time_unix_ms: _Optional[int] = ...) -> None: ...

class HistoryResponse(_message.Message):
    __slots__ = ("epoch", "messages", "last_offset")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    LAST_OFFSET_FIELD_NUMBER: _ClassVar[int]
    epoch: str
    messages: _containers.RepeatedCompositeFieldContainer[HistoryMessage]
    last_offset: int
    def __init__(self, epoch: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[HistoryMessage, _Mapping]]] = ..., last_offset: _Optional[int] = ...) -> None: ...

class PresenceRequest(_message.Message):
    __slots__ = ("stream",)
    STREAM_FIELD_NUMBER: _ClassVar[int]
    stream: str
    def __init__(self, stream: _Optional[str] = ...) -> None: ...

class PresenceRecord(_message.Message):
    __slots__ = ("id", "info")
    ID_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    id: str
    info: str
    def __init__(self, id: _Optional[str] = ..., info: _Optional[str] = ...) -> None: ...

class PresenceResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[PresenceRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[PresenceRecord, _Mapping]]] = ...) -> None: ...

class PresenceStatsRequest(_message.Message):
    __slots__ = ("stream",)
    STREAM_FIELD_NUMBER: _ClassVar[int]
    stream: str
    def __init__(self, stream: _Optional[str] = ...) -> None: ...

class PresenceStatsResponse(_message.Message):
    __slots__ = ("num_clients", "num_users")
    NUM_CLIENTS_FIELD_NUMBER: _ClassVar[int]
    NUM_USERS_FIELD_NUMBER: _ClassVar[int]
    num_clients: int
    num_users: int
    def __init__(self, num_clients: _Optional[int] = ..., num_users: _Optional[int] = ...) -> None: ...

class ChannelsRequest(_message.Message):
    __slots__ = ("pattern",)
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    pattern: str
    def __init__(self, pattern: _Optional[str] = ...) -> None: ...

class StreamSubscribers(_message.Message):
    __slots__ = ("stream", "subscribers")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBERS_FIELD_NUMBER: _ClassVar[int]
    stream: str
    subscribers: int
    def __init__(self, stream: _Optional[str] = ..., subscribers: _Optional[int] = ...) -> None: ...

class ChannelsResponse(_message.Message):
    __slots__ = ("streams", "truncated", "unanswered_gateways")
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    UNANSWERED_GATEWAYS_FIELD_NUMBER: _ClassVar[int]
    streams: _containers.RepeatedCompositeFieldContainer[StreamSubscribers]
    truncated: bool
    unanswered_gateways: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, streams: _Optional[_Iterable[_Union[StreamSubscribers, _Mapping]]] = ..., truncated: _Optional[bool] = ..., unanswered_gateways: _Optional[_Iterable[str]] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GatewayInfo(_message.Message):
    __slots__ = ("id", "connections", "subscriptions", "streams", "version", "uptime_seconds")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    connections: int
    subscriptions: int
    streams: int
    version: str
    uptime_seconds: int
    def __init__(self, id: _Optional[str] = ..., connections: _Optional[int] = ..., subscriptions: _Optional[int] = ..., streams: _Optional[int] = ..., version: _Optional[str] = ..., uptime_seconds: _Optional[int] = ...) -> None: ...

class ServiceInfo(_message.Message):
    __slots__ = ("id", "version", "uptime_seconds")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: str
    uptime_seconds: int
    def __init__(self, id: _Optional[str] = ..., version: _Optional[str] = ..., uptime_seconds: _Optional[int] = ...) -> None: ...

class InfoResponse(_message.Message):
    __slots__ = ("gateways", "services", "connections", "version", "unanswered_gateways", "unanswered_services")
    GATEWAYS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UNANSWERED_GATEWAYS_FIELD_NUMBER: _ClassVar[int]
    UNANSWERED_SERVICES_FIELD_NUMBER: _ClassVar[int]
    gateways: _containers.RepeatedCompositeFieldContainer[GatewayInfo]
    services: _containers.RepeatedCompositeFieldContainer[ServiceInfo]
    connections: int
    version: str
    unanswered_gateways: _containers.RepeatedScalarFieldContainer[str]
    unanswered_services: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, gateways: _Optional[_Iterable[_Union[GatewayInfo, _Mapping]]] = ..., services: _Optional[_Iterable[_Union[ServiceInfo, _Mapping]]] = ..., connections: _Optional[int] = ..., version: _Optional[str] = ..., unanswered_gateways: _Optional[_Iterable[str]] = ..., unanswered_services: _Optional[_Iterable[str]] = ...) -> None: ...

class ListChannelsRequest(_message.Message):
    __slots__ = ("type",)
    TYPE_FIELD_NUMBER: _ClassVar[int]
    type: str
    def __init__(self, type: _Optional[str] = ...) -> None: ...

class ListChannelsResponse(_message.Message):
    __slots__ = ("names",)
    NAMES_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, names: _Optional[_Iterable[str]] = ...) -> None: ...
