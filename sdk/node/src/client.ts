// The @grpc/grpc-js side: the Publisher service loaded from the .proto copy
// shipped in this package, channel credentials, and waiting for a connection.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CableError, invalidArgument } from './errors';
import type { Pem, TlsOptions } from './options';
import type { ProtoGrpcType } from './generated/publisher';
import type { PublisherClient, PublisherDefinition } from './generated/cable/v1/Publisher';

export type { PublisherClient, PublisherDefinition };

/**
 * How @grpc/proto-loader turns messages into objects. Must match the flags
 * generate.sh passes to proto-loader-gen-types, which describe the result:
 * camelCase fields, 64-bit integers as numbers, defaults for unset fields.
 */
export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The folder holding cable/v1/publisher.proto (from dist/ or src/ alike). */
export const PROTO_ROOT = path.resolve(__dirname, '..', 'proto');

type PublisherConstructor = ProtoGrpcType['cable']['v1']['Publisher'];
let publisherConstructor: PublisherConstructor | undefined;

/** The generated client class for cable.v1.Publisher, loaded once. */
export function publisherClientClass(): PublisherConstructor {
  if (publisherConstructor === undefined) {
    const definition = protoLoader.loadSync('cable/v1/publisher.proto', {
      ...LOADER_OPTIONS,
      includeDirs: [PROTO_ROOT],
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
    publisherConstructor = loaded.cable.v1.Publisher;
  }
  return publisherConstructor;
}

const pemBuffer = (pem: Pem | undefined): Buffer | null =>
  pem === undefined ? null : typeof pem === 'string' ? Buffer.from(pem, 'utf8') : Buffer.from(pem);

/** Channel credentials, and the channel options they need, for the `tls` option. */
export function channelSecurity(tls: boolean | TlsOptions | undefined): {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
} {
  if (tls === undefined || tls === false) {
    return { credentials: grpc.credentials.createInsecure(), options: {} };
  }
  if (tls === true) return { credentials: grpc.credentials.createSsl(), options: {} };
  if ((tls.privateKey === undefined) !== (tls.certChain === undefined)) {
    throw invalidArgument('tls.privateKey and tls.certChain go together (a client certificate needs both)');
  }
  const credentials = grpc.credentials.createSsl(
    pemBuffer(tls.rootCerts), pemBuffer(tls.privateKey), pemBuffer(tls.certChain));
  const options: grpc.ChannelOptions = {};
  if (tls.serverName !== undefined) {
    options['grpc.ssl_target_name_override'] = tls.serverName;
    options['grpc.default_authority'] = tls.serverName;
  }
  return { credentials, options };
}

/**
 * Resolves once the channel is no longer (idle or) connecting: READY, or in
 * TRANSIENT_FAILURE, where a call fails at once without being sent. Rejects
 * with DEADLINE_EXCEEDED, `notSent`, when still connecting at `deadline`:
 * this is how a timeout is known to have happened before sending.
 */
export function waitWhileConnecting(client: grpc.Client, target: string, deadline: number): Promise<void> {
  const channel = client.getChannel();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      try {
        const state = channel.getConnectivityState(true);
        if (state !== grpc.connectivityState.IDLE && state !== grpc.connectivityState.CONNECTING) {
          resolve();
          return;
        }
        channel.watchConnectivityState(state, deadline, (error?: Error) => {
          if (error === undefined) {
            check();
          } else {
            reject(new CableError(grpc.status.DEADLINE_EXCEEDED,
              `no connection to ${target} before the deadline`, { notSent: true }));
          }
        });
      } catch (error) {
        // The channel was closed meanwhile.
        reject(new CableError(grpc.status.CANCELLED, 'the Publisher is closed', { notSent: true, cause: error }));
      }
    };
    check();
  });
}
