// Shared by the tests of sdk/js (the npm package cable-client): a cable-server
// per test, a WebSocket that records frames, and bounded waits.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import support from '../support/cable_server.js';

export const { startServer, within } = support;
export const WAIT = 10000; // failure bound for every single wait
export const TEST_TIMEOUT = 60000;

// Resolves once pred() holds, checking every few milliseconds; fails after
// WAIT with `what` (or what()) in the message.
export async function eventually(pred, what) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    if (pred()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// A `ws` WebSocket class that records every frame sent and received, and
// every socket it made; kill() cuts the newest one without a close
// handshake, as a dropped network would.
export function recordingWebSocket() {
  const log = { sent: [], received: [], sockets: [] };
  class RecordingWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      log.sockets.push(this);
      this.addEventListener('message', (event) => log.received.push(JSON.parse(String(event.data))));
    }

    send(data, ...rest) {
      log.sent.push(JSON.parse(data));
      return super.send(data, ...rest);
    }
  }
  const kill = () => log.sockets[log.sockets.length - 1].terminate();
  return { RecordingWebSocket, log, kill };
}

// A WebSocket class whose sockets the test drives, playing the server.
export function scriptedWebSocket() {
  const sockets = [];
  class ScriptedWebSocket {
    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.readyState = 0;
      this.protocol = '';
      this.sent = [];
      this.closedWith = null;
      sockets.push(this);
    }

    send(data) {
      this.sent.push(JSON.parse(data));
    }

    close(code) {
      this.readyState = 3;
      this.closedWith = code ?? null;
    }

    // The server side: open with `protocol`, send a frame, close.
    open(protocol = 'actioncable-v1-json') {
      this.readyState = 1;
      this.protocol = protocol;
      this.onopen?.({});
    }

    serve(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }

    drop(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code });
    }
  }
  return { ScriptedWebSocket, sockets };
}

// Runs body(server, track) against a fresh cable-server; `track(closeable)`
// registers a client to close afterwards (anything with close() or
// disconnect()). On failure the server's output is added to the error.
export async function withServer(body) {
  const server = await startServer();
  const tracked = [];
  try {
    await body(server, (client) => {
      tracked.push(client);
      return client;
    });
  } catch (e) {
    throw new Error(`${e.message}\n--- cable-server ---\n${server.output()}`, { cause: e });
  } finally {
    for (const client of tracked) {
      if (typeof client.close === 'function') client.close();
      else client.disconnect();
    }
    await server.stop();
  }
}

let roomCounter = 0;
export const uniqueRoom = (tag) => `${tag}-${process.pid}-${++roomCounter}`;

// Every frame in `log` with this command and identifier.
export function commands(log, command, identifier) {
  return log.sent.filter((f) => f.command === command && (identifier === undefined || f.identifier === identifier));
}

export { assert };
