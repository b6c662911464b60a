"""Connection options shared by the sync and asyncio Publishers: TLS and retries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import grpc

DEFAULT_TIMEOUT = 5.0
"""Seconds a call may take, retries included, unless the Publisher or the call says otherwise."""


@dataclass(frozen=True)
class TLS:
    """TLS for the channel to the server (without it the channel is plaintext).

    All fields are PEM bytes. ``root_certificates`` None trusts the system's
    roots; ``certificate_chain`` and ``private_key`` together present a client
    certificate (mutual TLS).
    """

    root_certificates: bytes | None = None
    certificate_chain: bytes | None = None
    private_key: bytes | None = None

    def __post_init__(self) -> None:
        if (self.certificate_chain is None) != (self.private_key is None):
            raise ValueError("TLS: certificate_chain and private_key go together")

    @classmethod
    def from_files(cls, ca: str | Path | None = None, cert: str | Path | None = None,
                   key: str | Path | None = None) -> TLS:
        """Reads the PEM files given: root CA bundle, client certificate chain, client key."""
        def read(p: str | Path | None) -> bytes | None:
            return None if p is None else Path(p).read_bytes()
        return cls(root_certificates=read(ca), certificate_chain=read(cert), private_key=read(key))

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.private_key,
            certificate_chain=self.certificate_chain,
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried.

    A call that publishes (everything except GetState and ListChannels) is
    retried only when it certainly never reached the server: UNAVAILABLE
    because no connection could be made (``CableError.not_sent``). A
    broadcast is therefore never delivered twice because of a retry. The reads
    GetState and ListChannels are also retried on any retryable code
    (UNAVAILABLE, RESOURCE_EXHAUSTED). No attempt starts after the call's
    deadline; a DEADLINE_EXCEEDED is not retried, since the deadline covers
    all attempts.
    """

    max_attempts: int = 3
    """Attempts in all, the first included; 1 disables retries."""
    initial_backoff: float = 0.2
    """Seconds before the second attempt; each later wait is ``multiplier`` times longer."""
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("RetryPolicy: backoffs must be >= 0 and multiplier >= 1")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
        base = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return base * random.uniform(0.8, 1.0)


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never retries."""
