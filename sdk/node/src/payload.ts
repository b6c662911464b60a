// How arguments become what the Publisher API carries: payloads (broadcast
// data, channel state, events) as strings, counters as uint64.
import { invalidArgument } from './errors';

/**
 * A payload: a string is sent unchanged (a subscriber gets that JSON value
 * if the text is valid JSON, else the text as a JSON string); a Uint8Array
 * (e.g. a Buffer) is decoded as UTF-8 and sent like a string; anything else
 * is sent as `JSON.stringify(value)`.
 *
 * So `"hello"` arrives as `"hello"`, and `'{"a":1}'` and `{ a: 1 }` both
 * arrive as the object `{"a":1}`; to send text that happens to be valid JSON
 * as a string, pass `JSON.stringify(text)`.
 */
export type Payload = string | number | boolean | null | object;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The wire text for a payload. Rejects (with INVALID_ARGUMENT, before
 * anything is sent) what has no JSON text: undefined, functions, symbols,
 * BigInts, cycles, invalid UTF-8.
 */
export function encodePayload(value: Payload, what: string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) {
    try {
      return utf8.decode(value);
    } catch (error) {
      throw invalidArgument(`${what} is not valid UTF-8`, error);
    }
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw invalidArgument(`${what} cannot be sent as JSON: ${(error as Error).message}`, error);
  }
  if (text === undefined) {
    throw invalidArgument(`${what} cannot be sent as JSON (it is ${typeof value})`);
  }
  return text;
}

/** A uint64 field's value: a number (a safe integer) or a bigint, both >= 0. */
export function encodeUint64(value: number | bigint, what: string): number | string {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw invalidArgument(`${what} must be a uint64, not ${value}`);
    return value.toString();
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${what} must be an integer >= 0, not ${value}`);
  }
  return value;
}
