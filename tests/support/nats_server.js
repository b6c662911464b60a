'use strict';
// Starts nats-server (with JetStream) as a child process for Node tests: on
// 127.0.0.1, a random client port (-p -1), its ports file written to a temp
// dir the test watches (--ports_file_dir), the JetStream store in that dir.
// No sleeps, no fixed ports: every wait is for a condition (the ports file
// appearing and parsing, the process exiting) bounded by a failure timeout.
// The temp dir is removed once the server has exited (stop() or kill()).
//
//   const { startNats } = require('../support/nats_server.js');
//   const nats = await startNats();   // { url, port, child, dir, output(), stop(), kill() }
//
// The binary is $NATS_SERVER, else /usr/sbin/nats-server or /usr/bin/nats-server
// if there, else nats-server on the PATH.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function natsPath() {
  const env = process.env.NATS_SERVER;
  if (env) return env;
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return 'nats-server';
}

// Resolves to { url, port, child, dir, output(), stop(), kill() } once the
// server has written its ports file (it does so after it accepts clients,
// JetStream enabled). `args` are added to the command line.
function startNats({ args = [], jetstream = true, timeoutMs = 10000 } = {}) {
  const binary = natsPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cable-nats-node-'));
  const storeDir = path.join(dir, 'js');
  const argv = ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir];
  if (jetstream) argv.push('-js', '-sd', storeDir);
  argv.push(...args);

  // Watch before spawning, so that the ports file cannot appear unseen.
  const watcher = fs.watch(dir);
  watcher.on('error', () => {}); // the dir goes away at the end
  const log = [];
  const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding('utf8');
    s.on('data', (d) => {
      log.push(d);
      if (log.length > 2000) log.splice(0, log.length - 1000);
    });
  }
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => { exitInfo = { code, signal }; resolve(exitInfo); });
    child.once('error', (error) => { exitInfo = { error }; resolve(exitInfo); });
  });
  let removed = false;
  const removeDir = () => {
    if (removed) return;
    removed = true;
    watcher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;

  // Sends `signal`, waits (bounded) for the exit, escalating to SIGKILL; then
  // removes the temp dir.
  async function terminate(signal, ms = 5000) {
    if (running()) {
      child.kill(signal);
      let timer;
      const late = new Promise((resolve) => {
        timer = setTimeout(() => {
          if (running()) child.kill('SIGKILL');
          resolve();
        }, ms);
      });
      await Promise.race([exited, late]);
      clearTimeout(timer);
      await exited;
    } else if (child.pid !== undefined) {
      await exited;
    }
    removeDir();
    return exitInfo;
  }

  const server = {
    child,
    dir,
    output: () => log.join(''),
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
  };

  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watcher.removeListener('change', check);
      if (!err) {
        resolve(server);
        return;
      }
      const out = server.output();
      terminate('SIGKILL').finally(() => reject(new Error(
        `${err.message} (${binary} ${argv.join(' ')}; set $NATS_SERVER to the nats-server binary)\n--- nats-server output ---\n${out}`)));
    };
    // The file is <argv[0] base name>_<pid>.ports, JSON with the client
    // URLs under "nats"; it may be seen half-written, then a later event finds it whole.
    function check() {
      if (done || child.pid === undefined) return;
      let ports;
      try {
        const name = fs.readdirSync(dir).find((f) => f.endsWith(`_${child.pid}.ports`));
        if (!name) return; // not there yet
        ports = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      } catch {
        return; // not whole yet
      }
      const urls = ports && (ports.nats || ports.client); // {"nats":["nats://127.0.0.1:PORT"],...}
      const url = Array.isArray(urls) && urls[0];
      const m = url && /:(\d+)$/.exec(url);
      if (!m) return;
      Object.assign(server, { url, port: Number(m[1]), ports });
      finish(null);
    }
    const timer = setTimeout(() => finish(new Error(`nats-server wrote no ports file in ${dir} within ${timeoutMs} ms`)), timeoutMs);
    watcher.on('change', check);
    child.once('spawn', check);
    exited.then((info) => {
      if (info.error) finish(new Error(`cannot start nats-server: ${info.error.message}`));
      else finish(new Error(`nats-server exited before it was ready (code ${info.code}, signal ${info.signal})`));
    });
  });
}

module.exports = { startNats };
