/** The WebSocket subprotocol Cable speaks. */
export declare const PROTOCOL: "actioncable-v1-json";

/**
 * What the client needs of a WebSocket. The browser's WebSocket and the `ws`
 * package's both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

/** A WebSocket class: `new WebSocket(url, ["actioncable-v1-json"])`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * Where to connect: ws(s)://host/cable, or a path relative to the page
 * (http(s) becomes ws(s)); or a function returning one, called before every
 * attempt (for example to put a fresh token in the query string).
 */
export type UrlSource = string | URL | (() => string | URL);

export interface ConnectionOptions {
  /** The WebSocket class; defaults to `globalThis.WebSocket` (pass `ws`'s in Node without one). */
  WebSocket?: WebSocketConstructor;
  /** Seconds before each attempt since the last working connection; the last repeats. Default [0, 1, 3, 5]. */
  backoffSeconds?: readonly number[];
  /** A socket that received nothing (not even a ping) for this long is replaced. Default 10000. */
  staleMs?: number;
}

/** How a socket ended, as told to `ConnectionListener.lost`. */
export interface LostInfo {
  /** The server had sent `welcome` on it. */
  welcomed: boolean;
  /** The socket had opened. */
  opened: boolean;
  /** The connection will try again (false after close() or `reconnect: false`). */
  willReconnect: boolean;
  /** The `reason` of the server's `disconnect` message, if it sent one. */
  reason?: string;
}

/** The server's `disconnect` message. */
export interface DisconnectInfo {
  reason?: string;
  reconnect: boolean;
}

/** Receives a Connection's events; every method is optional. */
export interface ConnectionListener {
  welcome?(): void;
  lost?(info: LostInfo): void;
  disconnect?(info: DisconnectInfo): void;
  /** Every frame other than welcome, ping and disconnect. */
  frame?(frame: { [key: string]: unknown }): void;
}

/**
 * One WebSocket to a Cable server, shared by a Consumer's subscriptions and
 * a CableState's channels: it waits for `welcome`, replaces a socket that goes
 * quiet, and reconnects with backoff until closed or until the server sends
 * `disconnect` with `reconnect: false`.
 */
export declare class Connection {
  constructor(url: UrlSource, options?: ConnectionOptions);
  /** The URL of the next attempt. */
  readonly url: string;
  /** True while the connection is open or being (re)established. */
  readonly active: boolean;
  /** True from the server's `welcome` until the socket is lost. */
  readonly welcomed: boolean;
  /** The session id of the last `welcome` (what `Publisher.Transmit` takes). */
  readonly sid: string | null;
  attach(listener: ConnectionListener): void;
  detach(listener: ConnectionListener): void;
  /** Starts connecting; a no-op while active. */
  open(): void;
  /** Closes the socket and stops reconnecting; open() starts again. */
  close(): void;
  /** Sends a command object if the server has welcomed the connection; returns whether it was sent. */
  send(frame: object): boolean;
}
