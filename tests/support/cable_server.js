'use strict';
// Starts cable-server as a child process on ephemeral ports and reads its
// "listening" line from stdout. No sleeps, no fixed ports: every wait is for a
// condition and is bounded by a failure timeout.
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const LISTENING = /^cable-server listening http=([\d.]+):(\d+) grpc=([\d.]+):(\d+)\s*$/;

function serverPath() {
  const p = process.env.CABLE_SERVER;
  if (!p) throw new Error('CABLE_SERVER is not set (path to the cable-server binary)');
  return p;
}

// Resolves to { httpPort, grpcPort, url, child, output(), stop() }.
function startServer({ args = [], timeoutMs = 10000 } = {}) {
  const child = spawn(
    serverPath(),
    ['--host', '127.0.0.1', '--port', '0', '--grpc_port', '0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => log.push(d));
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ error })); // e.g. the binary does not exist
  });

  const server = {
    child,
    output: () => log.join(''),
    async stop() {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };

  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    let done = false;
    const fail = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      server.stop().finally(() => reject(new Error(`${err.message}\n--- cable-server stderr ---\n${server.output()}`)));
    };
    const timer = setTimeout(() => fail(new Error(`cable-server printed no listening line within ${timeoutMs} ms`)), timeoutMs);
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`cable-server exited early (code ${code}, signal ${signal})`)));
    rl.on('line', (line) => {
      log.push(`[stdout] ${line}\n`);
      if (done) return;
      const m = LISTENING.exec(line);
      if (!m) return;
      done = true;
      clearTimeout(timer);
      Object.assign(server, {
        httpPort: Number(m[2]),
        grpcPort: Number(m[4]),
        url: `ws://127.0.0.1:${m[2]}/cable`,
      });
      resolve(server);
    });
  });
}

// Rejects with `what` in the message if `promise` does not settle within ms.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

module.exports = { startServer, within };
