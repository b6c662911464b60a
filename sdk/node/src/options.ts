// What a Publisher and each of its calls can be configured with.
import type { ChannelOptions } from '@grpc/grpc-js';

/** How long a call may take, retries included, unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * When and how often a failed attempt is tried again. Calls that publish or
 * change state are retried only when the failure is
 * {@link CableError.notSent}; `getState` and `listChannels` also on any
 * retryable code. No attempt starts after the call's deadline.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 turns retries off. */
  maxAttempts: number;
  /** Wait before the second attempt, in milliseconds. */
  initialBackoffMs: number;
  /** The longest wait between two attempts, in milliseconds. */
  maxBackoffMs: number;
  /** Each wait is the previous one times this. */
  multiplier: number;
}

/** The default policy: 3 attempts, waiting 200 ms, then 400 ms. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 2000,
  multiplier: 2,
});

/** A policy that never retries. */
export const NO_RETRY: Readonly<RetryPolicy> = Object.freeze({ ...DEFAULT_RETRY, maxAttempts: 1 });

/** PEM text or bytes. */
export type Pem = string | Uint8Array;

/**
 * TLS settings. Without `rootCerts` the system's roots are trusted. A client
 * certificate (mutual TLS) needs both `privateKey` and `certChain`.
 */
export interface TlsOptions {
  /** CA certificates that may sign the server's certificate (PEM). */
  rootCerts?: Pem;
  /** The client's private key (PEM). */
  privateKey?: Pem;
  /** The client's certificate chain (PEM). */
  certChain?: Pem;
  /** Check the server's certificate against this name instead of the target's host. */
  serverName?: string;
}

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  /** The server's gRPC address: `host:port`, or any @grpc/grpc-js target (`dns:`, `unix:`...). */
  target: string;
  /** Sent with every call as metadata `authorization: Bearer <apiKey>` (also over plaintext). */
  apiKey?: string;
  /**
   * Plaintext when absent or false (the default); `true` is TLS with the
   * system's roots; an object configures roots and a client certificate.
   */
  tls?: boolean | TlsOptions;
  /** How long each call may take, retries included (default 5000 ms). */
  timeoutMs?: number;
  /** Retries (default {@link DEFAULT_RETRY}); `false` turns them off. */
  retry?: Partial<RetryPolicy> | false;
  /** Passed to the @grpc/grpc-js channel as is. */
  channelOptions?: ChannelOptions;
}

/** Options of a single call, overriding the Publisher's. */
export interface CallOptions {
  /** How long this call may take, retries included. */
  timeoutMs?: number;
  /** Retries for this call; `false` turns them off. */
  retry?: Partial<RetryPolicy> | false;
}
