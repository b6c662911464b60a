"""The decision whether, and after how long, a failed attempt is tried again."""

from __future__ import annotations

from .errors import CableError
from .options import RetryPolicy


def delay_before_retry(policy: RetryPolicy, attempt: int, error: CableError, read_only: bool,
                       remaining: float) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None to give up and raise ``error``.

    Calls that change state are retried only when ``error.not_sent``: the
    request never reached the server, so it cannot take effect twice.
    """
    if attempt >= policy.max_attempts:
        return None
    if not (error.not_sent or (read_only and error.retryable)):
        return None
    delay = policy.backoff(attempt)
    # An attempt that would start with almost no time left is not worth it.
    if delay + 0.05 >= remaining:
        return None
    return delay
