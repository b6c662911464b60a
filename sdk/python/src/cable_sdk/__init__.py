"""Cable's Python publisher SDK: publish to a Cable server through its gRPC Publisher API.

``cable_sdk.Publisher`` makes blocking calls; ``cable_sdk.aio.Publisher`` is
the same API for asyncio. Failed calls raise ``CableError`` subclasses.
"""

from . import aio
from ._payload import Data
from ._version import VERSION as __version__
from .client import Publisher
from .errors import (AlreadyExists, CableError, Cancelled, DeadlineExceeded, FailedPrecondition,
                     Internal, InvalidArgument, NotFound, PermissionDenied, ResourceExhausted,
                     Unauthenticated, Unavailable, Unimplemented)
from .options import DEFAULT_TIMEOUT, NO_RETRY, TLS, RetryPolicy
from .results import (BroadcastResult, ChannelState, CreateChannelResult, DeleteEventsResult,
                      UpdateStateResult)

__all__ = [
    "AlreadyExists", "BroadcastResult", "CableError", "Cancelled", "ChannelState",
    "CreateChannelResult", "DEFAULT_TIMEOUT", "Data", "DeadlineExceeded", "DeleteEventsResult",
    "FailedPrecondition", "Internal", "InvalidArgument", "NO_RETRY", "NotFound",
    "PermissionDenied", "Publisher", "ResourceExhausted", "RetryPolicy", "TLS",
    "Unauthenticated", "Unavailable", "Unimplemented", "UpdateStateResult", "__version__", "aio",
]
