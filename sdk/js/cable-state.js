// cable-state.js: the client for Cable's stateful channels
// (docs/protocol.md, "Stateful channels"), shaped like the BoardStreams
// JavaScript client. Works in browsers and in Node >= 18 (pass a WebSocket
// implementation such as the `ws` package when there is no global one).
//
//   const cable = new CableState("ws://localhost:8080/cable?user=ann");
//   cable.on("connectionStatus", (up) => console.log(up ? "online" : "offline"));
//   const board = cable.joinChannel("board:demo");
//   board.on("state", (state) => render(state));
//   board.doAction("set", { cell: 3, value: "X" });
//   const count = await board.doRequest("increment", { by: 1 });
//
// One WebSocket carries every channel (connection.js): `welcome` starts the
// joins, and after a reconnect every channel rejoins with the id of the last
// event it saw, so the server sends exactly the events it missed, then the
// state. The socket can be shared with an Action Cable consumer:
// `new CableState(createConsumer(url))`.

import { Connection } from "./connection.js";
import { Emitter } from "./emitter.js";
import { applyPatch, cloneJson, patchState } from "./json-patch.js";

// Commands a channel buffers while it waits for a connection.
const MAX_QUEUED_COMMANDS = 1000;

// ---- Channels ----

// One join of a stateful channel. Events:
//   "initialState" (state): the whole state, on every join and rejoin and
//     after a resync; a copy the handler may keep and patch itself.
//   "state" (state): the client's own copy after every change (and after
//     initialState); read it, do not change it.
//   "event" (event): each channel event: backlog, then live.
//   "eventPatch" ({event, patch}): one per event and per state change, in
//     order; either may be null; backlog events have no `patch` key.
//   "rejected": the server refused the join.
//   "error" (message): the server's message for a failed action.
//   "left": the channel was left (leave(), or the client was closed); the
//     last event, after which every handler is dropped.
class CableStateChannel extends Emitter {
  constructor(client, name, identifier) {
    super();
    this.client = client;
    this.name = name;
    this.identifier = identifier;
    this.state = undefined;
    // Revision of `state`; every commit on the server adds one.
    this.revision = null;
    // Id of the newest event seen; sent back on a rejoin.
    this.lastEventId = 0;
    // True from the state frame until the connection drops.
    this.joined = false;
    this._joinSent = false; // on the current connection
    this._awaitingState = false; // a join or sync is waiting for its state
    this._hadState = false; // ever: later joins are rejoins
    this._left = false;
    this._queue = []; // commands waiting for the join to be sent
  }

  // True once the channel was left; it can no longer be used.
  get left() {
    return this._left;
  }

  // Sends an action; the server does not answer (a failure comes back as an
  // "error" event).
  doAction(action, payload) {
    this._command({
      command: "message",
      data: JSON.stringify({ action, payload: payload === undefined ? null : payload }),
    });
  }

  // Sends a request; resolves with the handler's result, rejects with an
  // Error carrying the failure's error (`.error` holds the value as sent).
  doRequest(request, payload) {
    return new Promise((resolve, reject) => {
      const id = this.client._nextRequestId++;
      this._command(
        {
          command: "request",
          data: JSON.stringify({ id, request, payload: payload === undefined ? null : payload }),
        },
        { id, request, resolve, reject },
      );
    });
  }

  // Leaves the channel: the server runs its leave handler, this object's
  // handlers are dropped (after "left") and it can no longer be used.
  // Requests already sent still settle.
  leave() {
    this._end(true, () => new Error(`left channel "${this.name}" before the request was sent`));
  }

  _end(sendLeave, makeError) {
    if (this._left) return;
    if (sendLeave && this._joinSent) this.client._send({ command: "leave", identifier: this.identifier });
    this._left = true;
    this._joinSent = false;
    this.joined = false;
    for (const queued of this._queue) queued.pending?.reject(makeError());
    this._queue = [];
    this.client._forget(this);
    this._emit("left");
    this._handlers.clear();
  }

  _command(frame, pending) {
    if (this._left) throw new Error(`channel "${this.name}" was left`);
    if (this.client._closed) throw new Error("the client is closed");
    const full = { ...frame, identifier: this.identifier };
    if (this._joinSent) {
      this._dispatch(full, pending);
    } else {
      if (this._queue.length >= MAX_QUEUED_COMMANDS) {
        throw new Error(`more than ${MAX_QUEUED_COMMANDS} commands wait for the connection`);
      }
      this._queue.push({ frame: full, pending });
    }
  }

  _dispatch(frame, pending) {
    if (pending) this.client._requests.set(pending.id, { ...pending, identifier: this.identifier });
    this.client._send(frame);
  }

  // The connection is up (welcome): join, then send what waited. Commands
  // run in order on the server, so they see the join done.
  _connected() {
    const data = this._hadState ? JSON.stringify({ last_event_id: this.lastEventId }) : undefined;
    this.client._send({ command: "join", identifier: this.identifier, ...(data && { data }) });
    this._joinSent = true;
    this._awaitingState = true;
    const queued = this._queue;
    this._queue = [];
    for (const { frame, pending } of queued) this._dispatch(frame, pending);
  }

  _disconnected() {
    this._joinSent = false;
    this._awaitingState = false;
    this.joined = false;
  }

  // A revision gap: what the client holds is no longer the server's state.
  _resync() {
    if (this._awaitingState || !this._joinSent) return;
    this._awaitingState = true;
    this.client._send({ command: "sync", identifier: this.identifier });
  }

  _onFrame(frame) {
    switch (frame.type) {
      case "backlog":
        for (const item of Array.isArray(frame.events) ? frame.events : []) {
          // A rejoin only gets newer events; skip any already seen anyway.
          if (this._hadState && item.id <= this.lastEventId) continue;
          this.lastEventId = Math.max(this.lastEventId, item.id);
          this._emit("eventPatch", { event: item.event });
          this._emit("event", item.event);
        }
        return;
      case "state":
        this.state = frame.state;
        this.revision = frame.revision;
        this.lastEventId = Math.max(this.lastEventId, frame.last_event_id || 0);
        this._awaitingState = false;
        this._hadState = true;
        this.joined = true;
        this._emit("initialState", cloneJson(this.state));
        this._emit("state", this.state);
        return;
      case "event":
      case "event_patch":
        this._onUpdate(frame);
        return;
      case "error":
        this._emit("error", frame.error);
        // If the error answered our sync, its state will not come: let the
        // next update find the gap again.
        this._awaitingState = false;
        return;
      default:
    }
  }

  // Live updates. All frames of one commit carry its revision, which is the
  // previous commit's plus one; "event" frames come first, "event_patch" last.
  _onUpdate(frame) {
    // Before the state arrives, updates are either in it or held back by the
    // gateway until after it.
    if (this._awaitingState || this.revision === null) return;
    const revision = frame.revision;
    if (revision <= this.revision) return; // already in the state
    if (revision !== this.revision + 1) {
      this._resync();
      return;
    }
    if (frame.event_id !== null && frame.event_id !== undefined) {
      this.lastEventId = Math.max(this.lastEventId, frame.event_id);
    }
    if (frame.type === "event") {
      this._emit("eventPatch", { event: frame.event, patch: null });
      this._emit("event", frame.event);
      return;
    }
    const patch = frame.patch === undefined ? null : frame.patch;
    if (patch !== null) {
      try {
        this.state = applyPatch(this.state, patch);
      } catch (error) {
        // The patch does not fit what we hold: fetch the state again.
        this._awaitingState = false;
        this._resync();
        return;
      }
    }
    this.revision = revision;
    const hasEvent = frame.event_id !== null && frame.event_id !== undefined;
    this._emit("eventPatch", { event: hasEvent ? frame.event : null, patch });
    if (hasEvent) this._emit("event", frame.event);
    if (patch !== null) this._emit("state", this.state);
  }

  _rejected() {
    this._joinSent = false;
    this._awaitingState = false;
    this.joined = false;
    this.client._failRequests(
      (r) => r.identifier === this.identifier,
      () => new Error(`joining "${this.name}" was refused`),
    );
    this._emit("rejected");
  }
}

// ---- The client ----

// An object that carries a shared Connection (a Consumer from consumer.js).
function sharedConnection(target) {
  const connection = target !== null && typeof target === "object" ? target.connection : undefined;
  return connection && typeof connection.attach === "function" ? connection : null;
}

// Events: "connectionStatus" (true when the server has accepted the
// connection, false when it is lost), "disconnect" ({reason, reconnect}: the
// server's reason before it closed the connection), "close" (close() ran).
class CableState extends Emitter {
  // `target`: ws(s)://host/cable, or relative to the page's location (or a
  // function returning it, called before each attempt); or a Consumer from
  // createConsumer(), whose socket is then shared.
  // Options (with a URL): WebSocket (implementation; defaults to the global
  // one), backoffSeconds ([0, 1, 3, 5], the last repeats), staleMs (10000).
  constructor(target, options = {}) {
    super();
    const shared = sharedConnection(target);
    this._connection = shared || new Connection(target, options);
    this._ownsConnection = !shared;
    this._closed = false; // no more commands
    this._ended = false; // close() ran
    this._channels = new Map(); // identifier -> channel
    this._requests = new Map(); // request id -> {resolve, reject, identifier, ...}
    this._nextRequestId = 1;
    this._listener = {
      welcome: () => this._onWelcome(),
      lost: (info) => this._onLost(info),
      disconnect: (info) => this._onDisconnect(info),
      frame: (frame) => this._onFrame(frame),
    };
    this._connection.attach(this._listener);
    if (this._ownsConnection) this._connection.open();
  }

  // The URL the connection uses.
  get url() {
    return this._connection.url;
  }

  // True while the server has accepted the connection.
  get connected() {
    return this._connection.welcomed;
  }

  // Joins `name`; joining the same name again makes a second, independent
  // subscription (its identifier carries a "join" number).
  joinChannel(name) {
    if (this._closed) throw new Error("the client is closed");
    let identifier = JSON.stringify({ channel: name });
    for (let n = 2; this._channels.has(identifier); n += 1) {
      identifier = JSON.stringify({ channel: name, join: n });
    }
    const channel = this._newChannel(name, identifier);
    this._channels.set(identifier, channel);
    if (this.connected) channel._connected();
    return channel;
  }

  // Closes the client for good: every channel ends ("left"), requests in
  // flight reject. A socket of its own is closed; a shared one stays open for
  // its consumer, and the channels send `leave` on it.
  close() {
    if (this._ended) return;
    this._ended = true;
    this._closed = true;
    const wasConnected = this.connected;
    const closed = () => new Error("the client was closed");
    for (const channel of [...this._channels.values()]) channel._end(!this._ownsConnection, closed);
    this._connection.detach(this._listener);
    if (this._ownsConnection) this._connection.close();
    this._failRequests(() => true, closed);
    if (wasConnected) this._emit("connectionStatus", false);
    this._emit("close");
  }

  static patchState(state, patch) {
    return patchState(state, patch);
  }

  static applyPatch(doc, patch) {
    return applyPatch(doc, patch);
  }

  // Makes the channel object for joinChannel (subclasses return their own).
  _newChannel(name, identifier) {
    return new CableStateChannel(this, name, identifier);
  }

  _send(frame) {
    this._connection.send(frame);
  }

  _forget(channel) {
    this._channels.delete(channel.identifier);
  }

  _failRequests(match, makeError) {
    for (const [id, pending] of this._requests) {
      if (!match(pending)) continue;
      this._requests.delete(id);
      pending.reject(makeError());
    }
  }

  _onWelcome() {
    this._emit("connectionStatus", true);
    for (const channel of [...this._channels.values()]) {
      if (this.connected && !this._closed) channel._connected();
    }
  }

  _onLost({ welcomed }) {
    for (const channel of this._channels.values()) channel._disconnected();
    // Replies to requests sent on this socket will never come.
    this._failRequests(() => true, () => new Error("the connection was lost before the reply"));
    if (welcomed) this._emit("connectionStatus", false);
  }

  _onDisconnect({ reason, reconnect }) {
    // With its own socket, reconnect: false ends the client: no more commands.
    if (!reconnect && this._ownsConnection) this._closed = true;
    this._emit("disconnect", { reason, reconnect });
  }

  _onFrame(frame) {
    if (frame.type === "reply") {
      const pending = this._requests.get(frame.id);
      if (!pending || pending.identifier !== frame.identifier) return;
      this._requests.delete(frame.id);
      if (frame.status === "success") {
        pending.resolve(frame.data);
      } else {
        const shown = typeof frame.error === "string" ? frame.error : JSON.stringify(frame.error);
        const error = new Error(shown);
        error.error = frame.error;
        error.request = pending.request;
        pending.reject(error);
      }
      return;
    }
    const channel = this._channels.get(frame.identifier);
    if (!channel) return;
    if (frame.type === "reject_subscription") channel._rejected();
    else channel._onFrame(frame);
  }
}

export { CableState, CableStateChannel, patchState, applyPatch };
export default CableState;
