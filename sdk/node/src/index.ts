// cable-publisher: publish to a Cable server through its gRPC cable.v1.Publisher API.
export { Publisher } from './publisher';
export { CableError, RETRYABLE_CODES, type CableErrorOptions } from './errors';
export {
  DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, NO_RETRY,
  type CallOptions, type Pem, type PublisherOptions, type RetryPolicy, type TlsOptions,
} from './options';
export type { Payload } from './payload';
export type {
  BroadcastMessage, BroadcastResult, ChannelState, CreateChannelOptions, CreateChannelResult,
  DeleteEventsResult, DisconnectOptions, EventRetention, ListChannelsOptions, StateUpdate,
  UpdateStateResult,
} from './results';
/** gRPC status codes, to compare with {@link CableError.code}. */
export { status } from '@grpc/grpc-js';
