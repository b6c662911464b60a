// The command line (bin/cable-publish.js):
//   cable-publish --target HOST:PORT --stream S --data D [--api-key K]
//                 [--tls | --ca FILE] [--cert FILE --key FILE] [--timeout MS]
// Exits 0 once the server accepted the broadcast; otherwise prints one line
// on stderr and exits 1 (the call failed) or 2 (bad arguments or files).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { status } from '@grpc/grpc-js';
import { CableError } from './errors';
import { DEFAULT_TIMEOUT_MS, type TlsOptions } from './options';
import { Publisher } from './publisher';

const PROG = 'cable-publish';

const USAGE = `usage: ${PROG} --target HOST:PORT --stream STREAM --data DATA [options]

Broadcasts DATA to STREAM through a Cable server's gRPC Publisher API. DATA
is sent as is: valid JSON arrives as that JSON value, anything else as a
JSON string.

  --target HOST:PORT  the server's gRPC address
  --stream STREAM     the stream to broadcast to
  --data DATA         the message
  --api-key KEY       sent as 'authorization: Bearer KEY' (default: $CABLE_API_KEY)
  --tls               use TLS with the system's root certificates
  --ca FILE           use TLS, trusting this PEM CA bundle (default: plaintext)
  --cert FILE         TLS client certificate chain (PEM), with --key
  --key FILE          TLS client private key (PEM), with --cert
  --timeout MS        deadline for the call, retries included (default ${DEFAULT_TIMEOUT_MS})
  --help              show this and exit
`;

/** Output streams, replaceable for tests. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}

const oneLine = (text: string): string => text.split(/\s+/).filter(Boolean).join(' ');

interface Args {
  target: string;
  stream: string;
  data: string;
  apiKey?: string;
  tls?: boolean | TlsOptions;
  timeoutMs: number;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

function parse(argv: string[], env: Io['env']): Args | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: 'string' }, stream: { type: 'string' }, data: { type: 'string' },
        'api-key': { type: 'string' }, tls: { type: 'boolean' }, ca: { type: 'string' },
        cert: { type: 'string' }, key: { type: 'string' }, timeout: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  for (const name of ['target', 'stream', 'data'] as const) {
    if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || timeoutMs <= 0) {
      throw new UsageError(`--timeout must be a whole number of milliseconds > 0, not '${values.timeout}'`);
    }
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError('--cert and --key go together');
  }
  let tls: boolean | TlsOptions | undefined;
  if (values.ca !== undefined || values.cert !== undefined) {
    tls = {
      rootCerts: values.ca === undefined ? undefined : readPem(values.ca, 'CA file'),
      certChain: values.cert === undefined ? undefined : readPem(values.cert, 'certificate file'),
      privateKey: values.key === undefined ? undefined : readPem(values.key, 'key file'),
    };
  } else if (values.tls) {
    tls = true;
  }
  const apiKey = values['api-key'] ?? (env.CABLE_API_KEY || undefined);
  return { target: values.target!, stream: values.stream!, data: values.data!, apiKey, tls, timeoutMs };
}

/** Runs the command line; resolves to the exit status (never rejects). */
export async function main(argv: string[], io: Io = process): Promise<number> {
  let publisher: Publisher | undefined;
  try {
    const args = parse(argv, io.env);
    if (args === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    publisher = new Publisher({ target: args.target, apiKey: args.apiKey, tls: args.tls,
      timeoutMs: args.timeoutMs });
    const result = await publisher.broadcast(args.stream, args.data);
    io.stdout.write(`accepted ${result.accepted}\n`);
    return 0;
  } catch (error) {
    const usage = error instanceof UsageError ||
      (error instanceof CableError && error.notSent && error.code === status.INVALID_ARGUMENT);
    const text = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${PROG}: ${oneLine(text)}${usage ? ' (see --help)' : ''}\n`);
    return usage ? 2 : 1;
  } finally {
    publisher?.close();
  }
}
