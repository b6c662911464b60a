// connection.js: one WebSocket to a Cable server speaking Action Cable's
// envelope (actioncable-v1-json), shared by the Action Cable consumer
// (consumer.js) and the stateful-channel client (cable-state.js).
//
// It connects, waits for `welcome`, takes `ping`s as signs of life, replaces
// a socket that goes quiet, and reconnects with backoff until closed or until
// the server says not to (`disconnect` with `reconnect: false`). Every other
// frame goes to the attached listeners, which route it by `identifier`.

export const PROTOCOL = "actioncable-v1-json";
// Seconds before each connection attempt since the last welcome:
// 0, 1, 3, 5, 5, 5, ... (the last one repeats).
const DEFAULT_BACKOFF_S = [0, 1, 3, 5];
// The server pings every 3 s; a socket silent for this long is dead.
const DEFAULT_STALE_MS = 10000;

// WebSocket readyState values (the same in browsers and `ws`).
const CONNECTING = 0;
const OPEN = 1;

// ws(s)://... for `url`, resolved against the page's location when relative;
// http(s) becomes ws(s).
export function resolveUrl(url) {
  const resolved = new URL(String(url), globalThis.location?.href);
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  if (resolved.protocol === "https:") resolved.protocol = "wss:";
  return resolved.href;
}

// Closes `socket` for good. Closing a socket that is still connecting makes
// browsers log an error: let it open first.
function closeSocket(socket) {
  if (socket.readyState === CONNECTING) socket.onopen = () => socket.close(1000);
  else socket.close(1000);
}

// Listeners attached with attach() may have these methods:
//   welcome()               the server accepted the connection
//   lost({welcomed, opened, willReconnect, reason})
//                           the socket is gone: `welcomed`/`opened` tell how
//                           far it got, `reason` is the server's disconnect
//                           reason if it sent one
//   disconnect({reason, reconnect})  the server's `disconnect` message
//   frame(frame)            any other frame (an object)
export class Connection {
  // `url`: a string or URL (relative ones resolve against the page), or a
  // function returning one, called before every attempt (fresh tokens).
  // Options: WebSocket (implementation; defaults to the global one),
  // backoffSeconds ([0, 1, 3, 5]), staleMs (10000).
  constructor(url, options = {}) {
    if (typeof url !== "function") url = resolveUrl(url); // fails early when invalid
    this._url = url;
    this._WebSocket = options.WebSocket || globalThis.WebSocket;
    if (!this._WebSocket) throw new Error("no WebSocket implementation: pass options.WebSocket");
    const backoff = options.backoffSeconds;
    this._backoff = Array.isArray(backoff) && backoff.length > 0 ? backoff : DEFAULT_BACKOFF_S;
    this._staleMs = options.staleMs || DEFAULT_STALE_MS;
    // True from `welcome` until the socket is lost.
    this.welcomed = false;
    // The session id of the last `welcome` (for Publisher.Transmit).
    this.sid = null;
    this._wanted = false; // open() was called and neither close() nor the server stopped it
    this._socket = null;
    this._opened = false; // the current socket's open event came
    this._reason = undefined; // the current socket's disconnect reason
    this._attempts = 0; // since the last welcome
    this._timer = null;
    this._watchdog = null;
    this._lastFrameAt = 0;
    this._listeners = new Set();
    this._online = () => this._retryNow();
  }

  // The URL of the next attempt.
  get url() {
    return typeof this._url === "function" ? resolveUrl(this._url()) : this._url;
  }

  // True while the connection is open or being (re)established.
  get active() {
    return this._wanted;
  }

  attach(listener) {
    this._listeners.add(listener);
  }

  detach(listener) {
    this._listeners.delete(listener);
  }

  // Starts connecting (a no-op while active).
  open() {
    if (this._wanted) return;
    this._wanted = true;
    this._attempts = 0;
    this._watchOnline(true);
    this._schedule();
  }

  // Closes the socket and stops reconnecting; open() starts again.
  close() {
    this._stop();
    const socket = this._socket;
    if (!socket) return;
    this._drop();
    closeSocket(socket);
  }

  // Sends `frame` (an object) if the server has welcomed this connection;
  // returns whether it was sent.
  send(frame) {
    const socket = this._socket;
    if (!socket || socket.readyState !== OPEN || !this.welcomed) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  _notify(method, ...args) {
    for (const listener of [...this._listeners]) {
      if (typeof listener[method] !== "function") continue;
      try {
        listener[method](...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }

  _stop() {
    this._wanted = false;
    clearTimeout(this._timer);
    this._timer = null;
    this._watchOnline(false);
  }

  // Browsers: coming back online retries at once instead of after the backoff.
  _watchOnline(on) {
    const g = globalThis;
    if (typeof g.addEventListener !== "function" || typeof g.removeEventListener !== "function") return;
    if (on) g.addEventListener("online", this._online);
    else g.removeEventListener("online", this._online);
  }

  _retryNow() {
    if (!this._wanted || this._socket) return;
    clearTimeout(this._timer);
    this._timer = null;
    this._attempts = 0;
    this._schedule();
  }

  _schedule() {
    if (!this._wanted || this._timer || this._socket) return;
    const delay = this._backoff[Math.min(this._attempts, this._backoff.length - 1)];
    this._attempts += 1;
    this._timer = setTimeout(() => {
      this._timer = null;
      this._connect();
    }, delay * 1000);
  }

  _connect() {
    if (!this._wanted || this._socket) return;
    let socket;
    try {
      socket = new this._WebSocket(this.url, [PROTOCOL]);
    } catch (error) {
      this._schedule();
      return;
    }
    this._socket = socket;
    this._opened = false;
    this._reason = undefined;
    this._lastFrameAt = Date.now();
    socket.onopen = () => {
      if (socket !== this._socket) return;
      this._opened = true;
      // A server that selected another protocol does not speak this one.
      if (socket.protocol && socket.protocol !== PROTOCOL) {
        this._stop();
        this._reason = `unsupported subprotocol "${socket.protocol}"`;
        this._drop();
        socket.close(1000);
      }
    };
    socket.onmessage = (event) => {
      if (socket !== this._socket) return;
      this._lastFrameAt = Date.now();
      this._onText(String(event.data));
    };
    socket.onclose = () => {
      if (socket === this._socket) this._lost();
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

  // Forgets the current socket and tells the listeners.
  _drop() {
    clearInterval(this._watchdog);
    this._watchdog = null;
    const socket = this._socket;
    if (!socket) return;
    this._socket = null;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    const info = {
      welcomed: this.welcomed,
      opened: this._opened || this.welcomed,
      willReconnect: this._wanted,
      reason: this._reason,
    };
    this.welcomed = false;
    this._opened = false;
    this._notify("lost", info);
  }

  _lost() {
    this._drop();
    this._schedule();
  }

  _onText(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame === null || typeof frame !== "object" || Array.isArray(frame)) return;
    switch (frame.type) {
      case "welcome":
        this.welcomed = true;
        this._opened = true;
        this.sid = typeof frame.sid === "string" ? frame.sid : null;
        this._attempts = 0;
        this._notify("welcome");
        return;
      case "ping":
        return;
      case "disconnect": {
        // The close follows; reconnect: false means do not come back.
        const reconnect = frame.reconnect !== false;
        if (!reconnect) this._stop();
        this._reason = frame.reason;
        this._notify("disconnect", { reason: frame.reason, reconnect });
        return;
      }
      default:
        this._notify("frame", frame);
    }
  }
}
