import type { Connection, ConnectionOptions, UrlSource } from "./connection.js";

/** A channel name with its params, e.g. `{ channel: "ChatChannel", room: "lobby" }`. */
export interface ChannelNameWithParams {
  channel: string;
  [param: string]: unknown;
}

export interface ConnectedInfo {
  /** True when the subscription had been connected before (a reconnect). */
  reconnected: boolean;
}

export interface DisconnectedInfo {
  willAttemptReconnect: boolean;
  /** The server's disconnect reason, when it sent one (e.g. "unauthorized"). */
  reason?: string;
}

/** The callbacks a subscription may have; `this` is the subscription. */
export interface SubscriptionCallbacks {
  /** Right after create(). */
  initialized?(): void;
  /** The server confirmed the subscription. */
  connected?(info: ConnectedInfo): void;
  /** The connection was lost (or closed). */
  disconnected?(info: DisconnectedInfo): void;
  /** The server refused the subscription; it was removed. */
  rejected?(): void;
  /** A message for this subscription (any JSON value). */
  received?(data: any): void;
  [member: string]: unknown;
}

/** A subscription to an Action Cable channel. */
export declare class Subscription {
  protected constructor(consumer: Consumer, params?: ChannelNameWithParams, mixin?: object);
  readonly consumer: Consumer;
  /** The channel name and params as JSON, as sent to the server. */
  readonly identifier: string;
  /** Runs the channel action `action` with `data`; returns whether it was sent (false while disconnected). */
  perform(action: string, data?: object): boolean;
  /** Sends `data` as the subscription's message; returns whether it was sent. */
  send(data: object): boolean;
  /** Removes the subscription; the server is told once no other has the same identifier. */
  unsubscribe(): this;
}

/** A consumer's subscriptions. */
export declare class Subscriptions {
  protected constructor(consumer: Consumer);
  readonly consumer: Consumer;
  readonly subscriptions: readonly Subscription[];
  /** Subscribes to `channel` (a name, or a name with params); the mixin's members are copied onto the subscription. */
  create<M extends object = {}>(
    channel: string | ChannelNameWithParams,
    mixin?: SubscriptionCallbacks & M & ThisType<Subscription & M>,
  ): Subscription & M;
  add<T extends Subscription>(subscription: T): T;
  remove<T extends Subscription>(subscription: T): T;
  findAll(identifier: string): Subscription[];
  notifyAll(callbackName: string, ...args: unknown[]): void;
  notify(subscription: Subscription | string, callbackName: string, ...args: unknown[]): void;
}

/** A connection and its subscriptions, like @rails/actioncable's Consumer. */
export declare class Consumer {
  constructor(url: UrlSource, options?: ConnectionOptions);
  readonly connection: Connection;
  readonly subscriptions: Subscriptions;
  /** The URL the connection uses. */
  readonly url: string;
  /** Sends a command object; returns whether it was sent. */
  send(data: object): boolean;
  /** Opens the connection (a no-op while open or reconnecting). */
  connect(): void;
  /** Closes the connection and stops reconnecting; connect() subscribes everything again. */
  disconnect(): void;
  ensureActiveConnection(): void;
}

/**
 * A consumer for `url` (see UrlSource); without one, the page's
 * `<meta name="action-cable-url">`, else "/cable". It connects when the
 * first subscription is created.
 */
export declare function createConsumer(url?: UrlSource | null, options?: ConnectionOptions): Consumer;
