// What Publisher calls resolve to and take. 64-bit counters (revisions,
// event ids) are JavaScript numbers: exact up to 2^53.
import type { Payload } from './payload';
import type { CallOptions } from './options';

/** One message of {@link Publisher.broadcastBatch}. */
export interface BroadcastMessage {
  /** Stream name: non-empty UTF-8. */
  stream: string;
  /** The payload, see {@link Payload}. */
  data: Payload;
}

/** What {@link Publisher.broadcast} and {@link Publisher.broadcastBatch} resolve to. */
export interface BroadcastResult {
  /** Number of broadcasts the server accepted. */
  accepted: number;
}

/** Options of {@link Publisher.disconnect}. */
export interface DisconnectOptions extends CallOptions {
  /** Whether the disconnected clients are told to reconnect (default false). */
  reconnect?: boolean;
}

/** Options of {@link Publisher.createChannel}. */
export interface CreateChannelOptions extends CallOptions {
  /** The channel's type, at most 50 characters (default empty). */
  type?: string;
  /** Events are sent live but not stored (no backlog). */
  noEvents?: boolean;
}

/** What {@link Publisher.createChannel} resolves to. */
export interface CreateChannelResult {
  /** False when the channel already existed (nothing changed). */
  created: boolean;
}

/** A stateful channel as {@link Publisher.getState} returns it. */
export interface ChannelState {
  /** The state as JSON text. */
  state: string;
  /** The state parsed (undefined if the text is not JSON, which a Cable server never sends). */
  value: unknown;
  /** The revision, for {@link StateUpdate.expectedRevision}. */
  revision: number;
  /** Id of the newest event, 0 if none. */
  lastEventId: number;
  /** The channel's type. */
  type: string;
  /** Whether events are stored (a backlog for joining clients). */
  keepEvents: boolean;
}

/** A compare-and-set update for {@link Publisher.updateState}. */
export interface StateUpdate {
  /** Applies only if the channel is still at this revision (else FAILED_PRECONDITION). */
  expectedRevision: number | bigint;
  /** The new state; left unchanged when absent. A string is JSON text. */
  state?: Payload;
  /** Events to append, in order; a string is JSON text. */
  events?: Payload[];
}

/** What {@link Publisher.updateState} resolves to. */
export interface UpdateStateResult {
  /** The channel's new revision. */
  revision: number;
  /** Id of the first event appended, 0 if none. */
  firstEventId: number;
}

/**
 * Which events {@link Publisher.deleteEvents} keeps: the newest `keepNum`
 * and those younger than `keepDurationMs`, whichever keeps more. At least
 * one must be given.
 */
export interface EventRetention {
  keepNum?: number | bigint;
  keepDurationMs?: number | bigint;
}

/** What {@link Publisher.deleteEvents} resolves to. */
export interface DeleteEventsResult {
  /** Number of events deleted. */
  deleted: number;
}

/** Options of {@link Publisher.listChannels}. */
export interface ListChannelsOptions extends CallOptions {
  /** Only channels of this type. */
  type?: string;
}
