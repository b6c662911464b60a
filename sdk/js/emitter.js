// emitter.js: the small event emitter behind CableState and its channels,
// and the guard that runs user callbacks.

// Calls a user handler without letting it break the client; its exception is
// rethrown on its own task, where the runtime reports it.
export function callHandler(fn, args) {
  try {
    fn(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}

// A minimal event emitter: on() returns the handler so that off() can take it.
export class Emitter {
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
