// consumer.js: Action Cable channels, with the API of @rails/actioncable's
// consumer.
//
//   const consumer = createConsumer("ws://localhost:8080/cable?user=ann");
//   const chat = consumer.subscriptions.create({ channel: "ChatChannel", room: "lobby" }, {
//     connected() { this.perform("speak", { message: "hi" }); },
//     received(data) { console.log(data.user, data.message); },
//   });
//   chat.unsubscribe();
//
// The consumer connects when its first subscription is created, reconnects
// with backoff (0, 1, 3, 5, 5, ... s) and subscribes everything again after
// each reconnect. Callbacks, all optional, are called on the subscription:
//   initialized()                        right after create()
//   connected({reconnected})             the server confirmed the subscription;
//                                        `reconnected` is true after a reconnect
//   disconnected({willAttemptReconnect, reason})
//                                        the connection was lost; `reason` is the
//                                        server's disconnect reason, if it sent one
//   rejected()                           the server refused the subscription
//                                        (it is removed)
//   received(data)                       a message for the subscription

import { Connection } from "./connection.js";
import { callHandler } from "./emitter.js";

// Rails' default: <meta name="action-cable-url" content="..."> or "/cable".
function defaultUrl() {
  const meta = globalThis.document?.head?.querySelector?.('meta[name="action-cable-url"]');
  return meta?.getAttribute("content") || "/cable";
}

// One subscription to a channel: `identifier` is its params as JSON, echoed
// by the server on every frame for it. The mixin's members are copied onto it.
export class Subscription {
  constructor(consumer, params = {}, mixin) {
    this.consumer = consumer;
    this.identifier = JSON.stringify(params);
    this._wasConnected = false;
    if (mixin) {
      for (const key in mixin) this[key] = mixin[key];
    }
  }

  // Runs the channel's action `action` with `data` as its argument; returns
  // whether it was sent (false while the consumer is not connected).
  perform(action, data = {}) {
    return this.send({ ...data, action });
  }

  // Sends `data` (an object) as the subscription's message; returns whether
  // it was sent.
  send(data) {
    return this.consumer.send({
      command: "message",
      identifier: this.identifier,
      data: JSON.stringify(data),
    });
  }

  // Removes the subscription; the server is told once no other subscription
  // of the consumer has the same identifier.
  unsubscribe() {
    return this.consumer.subscriptions.remove(this);
  }
}

// The consumer's subscriptions. Several may share an identifier: the server
// holds one subscription for them, and each gets every callback.
export class Subscriptions {
  constructor(consumer) {
    this.consumer = consumer;
    this.subscriptions = [];
    // identifier -> "pending" (subscribe sent) or "confirmed", on the current
    // connection.
    this._sent = new Map();
  }

  // `channel`: a channel name, or an object with `channel` and the params.
  create(channel, mixin) {
    const params = channel !== null && typeof channel === "object" ? channel : { channel };
    return this.add(new Subscription(this.consumer, params, mixin));
  }

  add(subscription) {
    this.subscriptions.push(subscription);
    this.consumer.ensureActiveConnection();
    this.notify(subscription, "initialized");
    this._subscribe(subscription);
    return subscription;
  }

  remove(subscription) {
    this._forget(subscription);
    const { identifier } = subscription;
    if (this.findAll(identifier).length === 0 && this._sent.has(identifier)) {
      this._sent.delete(identifier);
      this.consumer.send({ command: "unsubscribe", identifier });
    }
    return subscription;
  }

  findAll(identifier) {
    return this.subscriptions.filter((s) => s.identifier === identifier);
  }

  // Calls `callbackName` on every subscription.
  notifyAll(callbackName, ...args) {
    for (const subscription of [...this.subscriptions]) this.notify(subscription, callbackName, ...args);
  }

  // Calls `callbackName` on `subscription`, or on every subscription with
  // that identifier when given a string.
  notify(subscription, callbackName, ...args) {
    const targets = typeof subscription === "string" ? this.findAll(subscription) : [subscription];
    for (const target of targets) {
      if (typeof target[callbackName] === "function") {
        callHandler((...a) => target[callbackName](...a), args);
      }
    }
  }

  _forget(subscription) {
    this.subscriptions = this.subscriptions.filter((s) => s !== subscription);
  }

  _subscribe(subscription) {
    if (!this.consumer.connection.welcomed) return; // the welcome subscribes it
    const { identifier } = subscription;
    const sent = this._sent.get(identifier);
    if (sent === "confirmed") {
      // The server ignores a second subscribe: confirm it here.
      queueMicrotask(() => {
        if (this.subscriptions.includes(subscription) && this._sent.get(identifier) === "confirmed") {
          this._confirm(subscription);
        }
      });
    } else if (sent === undefined && this.consumer.send({ command: "subscribe", identifier })) {
      this._sent.set(identifier, "pending");
    }
  }

  _confirm(subscription) {
    const reconnected = subscription._wasConnected;
    subscription._wasConnected = true;
    this.notify(subscription, "connected", { reconnected });
  }

  // Connection events (Consumer attaches these).
  _welcome() {
    this._sent.clear();
    for (const subscription of [...this.subscriptions]) this._subscribe(subscription);
  }

  _lost({ opened, willReconnect, reason }) {
    this._sent.clear();
    if (!opened) return; // a failed attempt: nothing to tell
    const info = { willAttemptReconnect: willReconnect };
    if (reason !== undefined) info.reason = reason;
    this.notifyAll("disconnected", info);
  }

  _frame(frame) {
    const { identifier } = frame;
    if (typeof identifier !== "string") return;
    switch (frame.type) {
      case "confirm_subscription":
        if (!this._sent.has(identifier)) return;
        this._sent.set(identifier, "confirmed");
        for (const subscription of this.findAll(identifier)) this._confirm(subscription);
        return;
      case "reject_subscription":
        if (!this._sent.has(identifier)) return;
        this._sent.delete(identifier);
        for (const subscription of this.findAll(identifier)) {
          this._forget(subscription);
          this.notify(subscription, "rejected");
        }
        return;
      case undefined:
        if ("message" in frame) this.notify(identifier, "received", frame.message);
        return;
      default:
    }
  }
}

// A connection plus its subscriptions, like @rails/actioncable's Consumer.
export class Consumer {
  // `url`: see createConsumer. Options: WebSocket (implementation; defaults
  // to the global one), backoffSeconds ([0, 1, 3, 5]), staleMs (10000).
  constructor(url, options = {}) {
    this.connection = new Connection(url, options);
    this.subscriptions = new Subscriptions(this);
    const subs = this.subscriptions;
    this.connection.attach({
      welcome: () => subs._welcome(),
      lost: (info) => subs._lost(info),
      frame: (frame) => subs._frame(frame),
    });
  }

  // The URL the connection uses.
  get url() {
    return this.connection.url;
  }

  // Sends a command object (as `subscription.send` does); returns whether it
  // was sent.
  send(data) {
    return this.connection.send(data);
  }

  // Opens the connection (a no-op while it is open or reconnecting).
  connect() {
    this.connection.open();
  }

  // Closes the connection and stops reconnecting; subscriptions are kept and
  // subscribed again by connect().
  disconnect() {
    this.connection.close();
  }

  ensureActiveConnection() {
    this.connection.open();
  }
}

// A consumer for `url`: ws(s)://host/cable, or relative to the page (http(s)
// becomes ws(s)), or a function returning one (called before each attempt,
// e.g. for a fresh token). Without a url: the page's
// <meta name="action-cable-url">, else "/cable".
export function createConsumer(url, options) {
  return new Consumer(url === undefined || url === null ? defaultUrl() : url, options);
}
