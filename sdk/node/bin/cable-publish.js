#!/usr/bin/env node
'use strict';
// cable-publish: broadcast one message through a Cable server's gRPC
// Publisher API (see src/cli.ts, or run with --help). Needs `npm run build`.
let cli;
try {
  cli = require('../dist/cli.js');
} catch (error) {
  process.stderr.write(`cable-publish: cannot load ../dist/cli.js (run npm run build first): ${error.message.split('\n')[0]}\n`);
  process.exit(2);
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
