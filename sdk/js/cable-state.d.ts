import type { Connection, ConnectionOptions, DisconnectInfo, UrlSource } from "./connection.js";
import { applyPatch, patchState } from "./json-patch.js";
import type { JsonPatchOperation } from "./json-patch.js";

export { applyPatch, patchState };

/**
 * What the "eventPatch" event carries: one per event and per state change.
 * `event` is null for a commit that only changed the state; `patch` is null
 * for one that only added events, and absent for backlog events.
 */
export interface EventPatch<E = unknown> {
  event: E | null;
  patch?: JsonPatchOperation[] | null;
}

/** A failed request: `message` is the server's error as text, `error` the value it sent. */
export interface RequestError extends Error {
  error?: unknown;
  request?: string;
}

/** Events of a stateful channel and their handlers' arguments. */
export interface CableStateChannelEvents<S = unknown, E = unknown> {
  /** The whole state at every join, rejoin and resync: a copy the handler may keep and patch. */
  initialState: [state: S];
  /** The client's own copy after every change: read it, do not change it. */
  state: [state: S];
  /** Each channel event: the backlog, then live ones. */
  event: [event: E];
  eventPatch: [eventPatch: EventPatch<E>];
  /** The server refused the join (it is tried again after a reconnect). */
  rejected: [];
  /** The server's message for a failed action. */
  error: [message: unknown];
  /** The channel was left (leave(), or the client closed); every handler is dropped after it. */
  left: [];
}

/** Events of a CableState and their handlers' arguments. */
export interface CableStateEvents {
  /** True when the server accepted the connection, false when it is lost. */
  connectionStatus: [connected: boolean];
  /** The server's `disconnect` message, before it closes the socket. */
  disconnect: [info: DisconnectInfo];
  /** close() ran. */
  close: [];
}

type Handler<Args extends unknown[]> = (...args: Args) => void;

/**
 * One join of a stateful channel (`S`: its state, `E`: its events). Made by
 * CableState.joinChannel.
 */
export declare class CableStateChannel<S = unknown, E = unknown> {
  protected constructor(client: CableState, name: string, identifier: string);
  readonly client: CableState;
  /** The channel's name, e.g. "board:demo". */
  readonly name: string;
  /** The subscription identifier (JSON) on the wire. */
  readonly identifier: string;
  /** The client's copy of the state; undefined before the first state. */
  readonly state: S | undefined;
  /** The revision of `state`; null before the first state. */
  readonly revision: number | null;
  /** The id of the newest event seen; sent back on a rejoin. */
  readonly lastEventId: number;
  /** True from the state until the connection drops. */
  readonly joined: boolean;
  /** True once the channel was left. */
  readonly left: boolean;
  /** Sends an action; nothing comes back (a failure arrives as an "error" event). Queued until joined. */
  doAction(action: string, payload?: unknown): void;
  /** Sends a request; resolves with the handler's result, rejects with a RequestError. */
  doRequest<R = unknown>(request: string, payload?: unknown): Promise<R>;
  /** Leaves the channel: "left" fires, handlers are dropped, the object can no longer be used. */
  leave(): void;
  on<K extends keyof CableStateChannelEvents<S, E>, F extends Handler<CableStateChannelEvents<S, E>[K]>>(
    event: K,
    handler: F,
  ): F;
  off<K extends keyof CableStateChannelEvents<S, E>>(event: K, handler: Handler<CableStateChannelEvents<S, E>[K]>): void;
}

/**
 * The client for stateful channels (BoardStreams' API). It connects at once
 * and reconnects with backoff; channels rejoin with the last event id they saw.
 */
export declare class CableState {
  /** Connects to `url` on a socket of its own. */
  constructor(url: UrlSource, options?: ConnectionOptions);
  /** Shares the socket of `consumer` (from createConsumer). */
  constructor(consumer: { readonly connection: Connection });
  /** The URL the connection uses. */
  readonly url: string;
  /** True while the server has accepted the connection. */
  readonly connected: boolean;
  /**
   * Joins the channel `name` (now or once connected). Joining a name again
   * makes a second, independent subscription.
   */
  joinChannel<S = unknown, E = unknown>(name: string): CableStateChannel<S, E>;
  /**
   * Ends the client: channels end ("left"), requests in flight reject; its own
   * socket closes, a shared one stays open (the channels send `leave` on it).
   */
  close(): void;
  on<K extends keyof CableStateEvents, F extends Handler<CableStateEvents[K]>>(event: K, handler: F): F;
  off<K extends keyof CableStateEvents>(event: K, handler: Handler<CableStateEvents[K]>): void;
  static patchState: typeof patchState;
  static applyPatch: typeof applyPatch;
}

export default CableState;
