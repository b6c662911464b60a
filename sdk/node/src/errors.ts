// Typed errors: every failed Publisher call rejects with a CableError.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

/**
 * gRPC status codes after which trying again later may succeed. Whether the
 * SDK retries by itself is narrower: see {@link CableError.notSent}.
 */
export const RETRYABLE_CODES: ReadonlySet<status> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
]);

// What @grpc/grpc-js says when a call failed to get a connection at all
// (connection refused or reset during the handshake, the name did not
// resolve): the request never left this process.
const NOT_SENT_MARKERS = ['No connection established', 'Name resolution failed'];

/** Options of the {@link CableError} constructor. */
export interface CableErrorOptions {
  /** The call certainly never reached the server. */
  notSent?: boolean;
  /** Trailing metadata the server sent with the status, if any. */
  metadata?: Metadata;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A Publisher call failed. `code` is the gRPC status code (compare with the
 * exported `status` enum); `message` is `"<CODE NAME>: <details>"`.
 */
export class CableError extends Error {
  /** The gRPC status code, e.g. `status.INVALID_ARGUMENT`. */
  readonly code: status;
  /** The code's name, e.g. `"INVALID_ARGUMENT"`. */
  readonly codeName: string;
  /** The server's (or gRPC's, or the SDK's) explanation. */
  readonly details: string;
  /**
   * The call certainly never reached the server (no connection could be
   * made, or the deadline passed while connecting), so retrying it cannot
   * publish twice. Only such failures are retried automatically for calls
   * that publish or change state.
   */
  readonly notSent: boolean;
  /** Trailing metadata from the server, when it sent the status. */
  readonly metadata: Metadata;
  /** The underlying error (e.g. the @grpc/grpc-js ServiceError), if any. */
  declare readonly cause?: unknown;

  constructor(code: status, details: string, options: CableErrorOptions = {}) {
    const codeName = status[code] ?? `CODE_${code}`;
    super(`${codeName}: ${details}`);
    this.name = 'CableError';
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.notSent = options.notSent ?? false;
    this.metadata = options.metadata ?? new Metadata();
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
    }
  }

  /**
   * The code is one where a later attempt may succeed (UNAVAILABLE,
   * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED). It does not say the call had no
   * effect: a broadcast that timed out may have been delivered, so retrying
   * it may deliver it twice unless {@link notSent} is true.
   */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }
}

/** A CableError for invalid arguments found before anything was sent. */
export function invalidArgument(details: string, cause?: unknown): CableError {
  return new CableError(status.INVALID_ARGUMENT, details, { notSent: true, cause });
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** Converts what a @grpc/grpc-js call failed with into a CableError. */
export function toCableError(error: unknown): CableError {
  if (error instanceof CableError) return error;
  if (isServiceError(error)) {
    const details = error.details ?? error.message;
    const notSent = error.code === status.UNAVAILABLE &&
      NOT_SENT_MARKERS.some((marker) => details.includes(marker));
    return new CableError(error.code, details, { notSent, metadata: error.metadata, cause: error });
  }
  const details = error instanceof Error ? error.message : String(error);
  return new CableError(status.UNKNOWN, details, { cause: error });
}
