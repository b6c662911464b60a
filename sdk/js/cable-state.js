// cable-state.js: a dependency-free client for Cable's stateful channels
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
// One WebSocket carries every channel, speaking the Action Cable envelope
// (actioncable-v1-json): `welcome` starts the joins, `ping`s keep the socket
// alive, and a socket that goes quiet is replaced. After a reconnect every
// channel rejoins with the id of the last event it saw, so the server sends
// exactly the events it missed, then the state.

const PROTOCOL = "actioncable-v1-json";
// Seconds before each connection attempt since the last working connection:
// 0, 1, 3, 5, 5, 5, ...
const DEFAULT_BACKOFF_S = [0, 1, 3, 5];
// The server pings every 3 s; a socket silent for this long is dead.
const DEFAULT_STALE_MS = 10000;
// Commands a channel buffers while it waits for a connection.
const MAX_QUEUED_COMMANDS = 1000;

// WebSocket readyState values (the same in browsers and `ws`).
const CONNECTING = 0;
const OPEN = 1;

// A deep copy of JSON data.
function cloneJson(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

// Calls a user handler without letting it break the client; its exception is
// rethrown on its own task, where the runtime reports it.
function callHandler(fn, args) {
  try {
    fn(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}

// A minimal event emitter: on() returns the handler so that off() can take it.
class Emitter {
  constructor() {
    this._handlers = new Map();
  }

  on(event, fn) {
    if (typeof fn !== "function") throw new TypeError("handler must be a function");
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(fn);
    return fn;
  }

  off(event, fn) {
    this._handlers.get(event)?.delete(fn);
  }

  _emit(event, ...args) {
    const handlers = this._handlers.get(event);
    if (!handlers) return;
    for (const fn of [...handlers]) callHandler(fn, args);
  }
}

// ---- RFC 6902 JSON Patch over RFC 6901 JSON Pointers ----

const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// "/a~1b/~0c" -> ["a/b", "~c"]; "" is the whole document.
function parsePointer(pointer) {
  if (typeof pointer !== "string") throw new Error(`JSON Pointer must be a string: ${pointer}`);
  if (pointer === "") return [];
  if (pointer[0] !== "/") throw new Error(`JSON Pointer must start with "/": ${pointer}`);
  // ~1 before ~0, so that "~01" becomes "~1" and not "/".
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

// An array index token: "0" or digits without a leading zero.
function arrayIndex(token, length, allowEnd) {
  if (allowEnd && token === "-") return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`bad array index "${token}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) {
    throw new Error(`array index ${index} out of range`);
  }
  return index;
}

// The container holding the location `tokens` points to.
function parentOf(doc, tokens, pointer) {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isObject(node) && hasOwn(node, token)) node = node[token];
    else throw new Error(`path not found: ${pointer}`);
  }
  if (node === null || typeof node !== "object") throw new Error(`path not found: ${pointer}`);
  return node;
}

function getValue(doc, pointer) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false)];
  if (!hasOwn(parent, key)) throw new Error(`path not found: ${pointer}`);
  return parent[key];
}

// Sets an own property, also for the key "__proto__" (plain assignment would
// change the object's prototype instead).
function setKey(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

// Each returns the (possibly new) document root.
function addValue(doc, pointer, value) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, value);
  else setKey(parent, key, value);
  return doc;
}

function removeValue(doc, pointer) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new Error("cannot remove the whole document");
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  let removed;
  if (Array.isArray(parent)) {
    [removed] = parent.splice(arrayIndex(key, parent.length, false), 1);
  } else {
    if (!hasOwn(parent, key)) throw new Error(`path not found: ${pointer}`);
    removed = parent[key];
    delete parent[key];
  }
  return { doc, removed };
}

function replaceValue(doc, pointer, value) {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const key = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)] = value;
  else if (hasOwn(parent, key)) setKey(parent, key, value);
  else throw new Error(`path not found: ${pointer}`);
  return doc;
}

function jsonEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return false;
}

// Applies `patch` (an array of RFC 6902 operations) to `doc` and returns the
// result. Containers are changed in place; an operation on the root ("")
// returns a new root. Values are copied in, so the patch and the document
// never share objects (the same patch is often applied to two copies).
// Throws on an invalid or failing operation; `doc` may then be partly patched.
function applyPatch(doc, patch) {
  if (patch === null || patch === undefined) return doc;
  if (!Array.isArray(patch)) throw new Error("a JSON Patch must be an array");
  for (const op of patch) {
    if (!isObject(op)) throw new Error("a JSON Patch operation must be an object");
    const needValue = () => {
      if (!hasOwn(op, "value")) throw new Error(`"${op.op}" needs a value`);
      return cloneJson(op.value);
    };
    switch (op.op) {
      case "add":
        doc = addValue(doc, op.path, needValue());
        break;
      case "remove":
        doc = removeValue(doc, op.path).doc;
        break;
      case "replace":
        doc = replaceValue(doc, op.path, needValue());
        break;
      case "move": {
        if (op.path === op.from) {
          getValue(doc, op.from); // must exist; otherwise a no-op
          break;
        }
        if (op.path.startsWith(`${op.from}/`)) {
          throw new Error(`cannot move ${op.from} into itself (${op.path})`);
        }
        const { removed } = removeValue(doc, op.from);
        doc = addValue(doc, op.path, removed);
        break;
      }
      case "copy":
        doc = addValue(doc, op.path, cloneJson(getValue(doc, op.from)));
        break;
      case "test":
        if (!jsonEqual(getValue(doc, op.path), op.value)) {
          throw new Error(`test failed at "${op.path}"`);
        }
        break;
      default:
        throw new Error(`unknown JSON Patch operation "${op.op}"`);
    }
  }
  return doc;
}

// BoardStreams.patchState: patches `state` in place (a no-op for a null or
// undefined patch) and returns it. A patch that replaces the root keeps the
// same object when old and new are both objects or both arrays; any other
// root change cannot be done in place and throws (use applyPatch).
function patchState(state, patch) {
  const result = applyPatch(state, patch);
  if (result === state) return state;
  if (isObject(state) && isObject(result)) {
    for (const key of Object.keys(state)) delete state[key];
    for (const key of Object.keys(result)) setKey(state, key, result[key]);
    return state;
  }
  if (Array.isArray(state) && Array.isArray(result)) {
    state.splice(0, state.length, ...result);
    return state;
  }
  throw new Error("the patch replaces the state with another type; use CableState.applyPatch");
}

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
  // handlers are dropped and it can no longer be used. Requests already sent
  // still settle.
  leave() {
    if (this._left) return;
    if (this._joinSent) this.client._send({ command: "leave", identifier: this.identifier });
    this._left = true;
    this.joined = false;
    for (const queued of this._queue) {
      queued.pending?.reject(new Error(`left channel "${this.name}" before the request was sent`));
    }
    this._queue = [];
    this._handlers.clear();
    this.client._forget(this);
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

// ---- The connection ----

// Events: "connectionStatus" (true when the server has accepted the
// connection, false when it is lost), "disconnect" ({reason, reconnect}: the
// server's reason before it closed the connection).
class CableState extends Emitter {
  // `url`: ws(s)://host/cable, or relative to the page's location.
  // Options: WebSocket (implementation; defaults to the global one),
  // backoffSeconds ([0, 1, 3, 5], the last repeats), staleMs (10000).
  constructor(url, options = {}) {
    super();
    const base = globalThis.location?.href;
    const resolved = new URL(url, base);
    if (resolved.protocol === "http:") resolved.protocol = "ws:";
    if (resolved.protocol === "https:") resolved.protocol = "wss:";
    this.url = resolved.href;
    this._WebSocket = options.WebSocket || globalThis.WebSocket;
    if (!this._WebSocket) throw new Error("no WebSocket implementation: pass options.WebSocket");
    this._backoff = options.backoffSeconds || DEFAULT_BACKOFF_S;
    this._staleMs = options.staleMs || DEFAULT_STALE_MS;
    this.connected = false; // welcomed
    this._socket = null;
    this._attempts = 0; // since the last welcome
    this._timer = null;
    this._watchdog = null;
    this._lastFrameAt = 0;
    this._closed = false;
    this._channels = new Map(); // identifier -> channel
    this._requests = new Map(); // request id -> {resolve, reject, identifier, ...}
    this._nextRequestId = 1;
    this._schedule();
  }

  // Joins `name`; joining the same name again makes a second, independent
  // subscription (its identifier carries a "join" number).
  joinChannel(name) {
    if (this._closed) throw new Error("the client is closed");
    let identifier = JSON.stringify({ channel: name });
    for (let n = 2; this._channels.has(identifier); n += 1) {
      identifier = JSON.stringify({ channel: name, join: n });
    }
    const channel = new CableStateChannel(this, name, identifier);
    this._channels.set(identifier, channel);
    if (this.connected) channel._connected();
    return channel;
  }

  // Closes the connection for good.
  close() {
    if (this._closed) return;
    this._closed = true;
    clearTimeout(this._timer);
    const socket = this._socket;
    this._dropSocket();
    // Closing a socket that is still connecting makes browsers log an
    // error: let it open first.
    if (socket && socket.readyState === CONNECTING) socket.onopen = () => socket.close(1000);
    else if (socket) socket.close(1000);
    this._failRequests(() => true, () => new Error("the client was closed"));
  }

  static patchState(state, patch) {
    return patchState(state, patch);
  }

  static applyPatch(doc, patch) {
    return applyPatch(doc, patch);
  }

  _schedule() {
    if (this._closed) return;
    const delay = this._backoff[Math.min(this._attempts, this._backoff.length - 1)];
    this._attempts += 1;
    this._timer = setTimeout(() => this._connect(), delay * 1000);
  }

  _connect() {
    if (this._closed) return;
    let socket;
    try {
      socket = new this._WebSocket(this.url, [PROTOCOL]);
    } catch (error) {
      this._schedule();
      return;
    }
    this._socket = socket;
    this._lastFrameAt = Date.now();
    socket.onmessage = (event) => {
      if (socket !== this._socket) return;
      this._lastFrameAt = Date.now();
      this._onFrame(String(event.data));
    };
    socket.onclose = () => {
      if (socket !== this._socket) return;
      this._lost();
    };
    socket.onerror = () => {}; // a close event follows
    // A socket that stops receiving pings is dead even if TCP has not noticed.
    clearInterval(this._watchdog);
    this._watchdog = setInterval(() => {
      if (socket === this._socket && Date.now() - this._lastFrameAt > this._staleMs) {
        socket.close();
        this._lost();
      }
    }, Math.min(1000, this._staleMs));
  }

  _dropSocket() {
    clearInterval(this._watchdog);
    this._watchdog = null;
    const socket = this._socket;
    this._socket = null;
    if (socket) socket.onmessage = socket.onclose = socket.onerror = null;
    const wasConnected = this.connected;
    this.connected = false;
    for (const channel of this._channels.values()) channel._disconnected();
    // Replies to requests sent on this socket will never come.
    this._failRequests(() => true, () => new Error("the connection was lost before the reply"));
    if (wasConnected) this._emit("connectionStatus", false);
  }

  _lost() {
    this._dropSocket();
    this._schedule();
  }

  _send(frame) {
    const socket = this._socket;
    if (socket && socket.readyState === OPEN && this.connected) socket.send(JSON.stringify(frame));
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

  _onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!isObject(frame)) return;
    switch (frame.type) {
      case "welcome":
        this.connected = true;
        this._attempts = 0;
        this._emit("connectionStatus", true);
        for (const channel of [...this._channels.values()]) {
          if (this.connected) channel._connected();
        }
        return;
      case "ping":
      case "confirm_subscription":
        return;
      case "disconnect":
        // The close follows; reconnect: false means do not come back.
        if (frame.reconnect === false) this._closed = true;
        this._emit("disconnect", { reason: frame.reason, reconnect: frame.reconnect !== false });
        return;
      case "reply": {
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
      default: {
        const channel = this._channels.get(frame.identifier);
        if (!channel) return;
        if (frame.type === "reject_subscription") channel._rejected();
        else channel._onFrame(frame);
      }
    }
  }
}

export { CableState, CableStateChannel, patchState, applyPatch };
export default CableState;
