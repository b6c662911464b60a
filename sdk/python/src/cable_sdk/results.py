"""Typed results of Publisher calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BroadcastResult:
    """Broadcast / BroadcastBatch: how many broadcasts the server accepted."""

    accepted: int


@dataclass(frozen=True)
class CreateChannelResult:
    """CreateChannel: False when the channel already existed (nothing changed)."""

    created: bool


@dataclass(frozen=True)
class ChannelState:
    """GetState: a stateful channel's state and counters."""

    state: str
    """The state as JSON text (see ``value`` for it parsed)."""
    revision: int
    last_event_id: int
    type: str
    keep_events: bool

    @property
    def value(self) -> Any:
        """The state parsed from JSON."""
        return json.loads(self.state)


@dataclass(frozen=True)
class UpdateStateResult:
    """UpdateState: the channel's new revision and the id of the first event appended (0 if none)."""

    revision: int
    first_event_id: int


@dataclass(frozen=True)
class DeleteEventsResult:
    """DeleteEvents: how many events were deleted."""

    deleted: int
