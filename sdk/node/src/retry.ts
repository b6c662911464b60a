// The decision whether, and after how long, a failed attempt is tried again.
import { CableError, invalidArgument } from './errors';
import { NO_RETRY, type RetryPolicy } from './options';

/** A complete, checked policy from a base and a partial override (`false`: no retries). */
export function resolveRetryPolicy(
  base: Readonly<RetryPolicy>,
  override: Partial<RetryPolicy> | false | undefined,
): Readonly<RetryPolicy> {
  if (override === false) return NO_RETRY;
  if (override === undefined) return base;
  const policy = { ...base, ...override };
  const { maxAttempts, initialBackoffMs, maxBackoffMs, multiplier } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw invalidArgument(`retry.maxAttempts must be an integer >= 1, not ${maxAttempts}`);
  }
  for (const [name, v] of Object.entries({ initialBackoffMs, maxBackoffMs })) {
    if (!Number.isFinite(v) || v < 0) throw invalidArgument(`retry.${name} must be >= 0, not ${v}`);
  }
  if (!Number.isFinite(multiplier) || multiplier < 1) {
    throw invalidArgument(`retry.multiplier must be >= 1, not ${multiplier}`);
  }
  return Object.freeze(policy);
}

/** The wait after failed attempt number `attempt` (1-based). */
export function backoffMs(policy: Readonly<RetryPolicy>, attempt: number): number {
  const ms = policy.initialBackoffMs * policy.multiplier ** (attempt - 1);
  return Math.min(ms, policy.maxBackoffMs);
}

/**
 * Milliseconds to wait before attempt `attempt + 1`, or undefined to give up
 * and reject with `error`.
 *
 * Only retryable codes are retried. Retries never publish twice: a call
 * that changes something (`readOnly` false) is retried only when
 * `error.notSent`, i.e. the request certainly never reached the server.
 * Errors the server answered, timeouts and connections lost mid-call may
 * come after the server acted, so they end the call. Reads are retried on
 * any retryable code.
 */
export function delayBeforeRetry(
  policy: Readonly<RetryPolicy>,
  attempt: number,
  error: CableError,
  readOnly: boolean,
  remainingMs: number,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  if (!error.retryable || !(error.notSent || readOnly)) return undefined;
  const delay = backoffMs(policy, attempt);
  // An attempt that would start with almost no time left is not worth it.
  if (delay + 50 >= remainingMs) return undefined;
  return delay;
}
