"""Turns payloads (str, bytes, JSON-serializable objects) into the API's strings."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Union

Data = Union[str, bytes, bytearray, Mapping[str, Any], Sequence[Any], int, float, bool, None]
"""A payload: ``str`` is sent as is (valid JSON arrives as that JSON value,
anything else as a JSON string); ``bytes`` must be UTF-8 and is sent as that
text; any other value is ``json.dumps``'ed (so ``{"a": 1}`` arrives as an
object and ``None`` as ``null``)."""


def encode(data: Data) -> str:
    """The text sent for ``data``; TypeError/ValueError when it cannot be encoded."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"data bytes are not UTF-8: {e}") from None
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise type(e)(f"data is neither str, bytes nor JSON-serializable: {e}") from None
