// Publisher: the whole cable.v1.Publisher API as promise-returning methods.
import { Metadata, status } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { channelSecurity, publisherClientClass, waitWhileConnecting, type PublisherClient,
  type PublisherDefinition } from './client';
import { CableError, invalidArgument, toCableError } from './errors';
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, type CallOptions, type PublisherOptions,
  type RetryPolicy } from './options';
import { encodePayload, encodeUint64, type Payload } from './payload';
import { delayBeforeRetry, resolveRetryPolicy } from './retry';
import type { BroadcastMessage, BroadcastResult, ChannelState, CreateChannelOptions,
  CreateChannelResult, DeleteEventsResult, DisconnectOptions, EventRetention, ListChannelsOptions,
  StateUpdate, UpdateStateResult } from './results';

// The service's methods (PublisherDefinition also has an index signature).
type Method = 'Broadcast' | 'BroadcastBatch' | 'Disconnect' | 'Transmit' | 'CreateChannel' | 'GetState' |
  'UpdateState' | 'DeleteEvents' | 'ListChannels';
// What a method takes (the generated input type) and resolves to (its output type).
type RequestOf<M extends Method> = Parameters<PublisherDefinition[M]['requestSerialize']>[0];
type ResponseOf<M extends Method> = ReturnType<PublisherDefinition[M]['responseDeserialize']>;

// Calls that change nothing, so that any retryable failure may be retried.
const READ_ONLY: ReadonlySet<Method> = new Set<Method>(['GetState', 'ListChannels']);

function checkTimeout(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms <= 0) throw invalidArgument(`${what} must be > 0 ms, not ${ms}`);
  return ms;
}

/**
 * A client of a Cable server's gRPC Publisher API. Every method returns a
 * promise that rejects with a {@link CableError}.
 *
 * Each call has a deadline (`timeoutMs`, default 5 s, per call or per
 * Publisher) that covers connecting and all its attempts. Retries never
 * publish twice: a call that publishes or changes state is retried only when
 * it certainly never reached the server (`CableError.notSent`: no
 * connection could be made); `getState` and `listChannels` are also retried
 * on any retryable code. Call {@link close} when done.
 */
export class Publisher {
  /** The server's address, as given. */
  readonly target: string;
  private readonly client: PublisherClient;
  private readonly service: PublisherDefinition;
  private readonly metadata: Metadata;
  private readonly timeoutMs: number;
  private readonly retry: Readonly<RetryPolicy>;
  private closed = false;

  constructor(options: PublisherOptions) {
    if (typeof options?.target !== 'string' || options.target === '') {
      throw invalidArgument('target must be a non-empty string such as "127.0.0.1:50051"');
    }
    this.target = options.target;
    this.timeoutMs = checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.retry = resolveRetryPolicy(DEFAULT_RETRY, options.retry);
    this.metadata = new Metadata();
    if (options.apiKey !== undefined) {
      if (!/^[\x21-\x7e]+$/.test(options.apiKey)) {
        throw invalidArgument('apiKey must be non-empty printable ASCII without spaces');
      }
      this.metadata.set('authorization', `Bearer ${options.apiKey}`);
    }
    const security = channelSecurity(options.tls);
    const Client = publisherClientClass();
    this.service = Client.service;
    this.client = new Client(options.target, security.credentials,
      { ...security.options, ...options.channelOptions });
  }

  /** Publishes `data` to every subscriber of `stream`. */
  async broadcast(stream: string, data: Payload, options?: CallOptions): Promise<BroadcastResult> {
    const request = { stream, data: encodePayload(data, 'data') };
    const response = await this.unary('Broadcast', request, options);
    return { accepted: response.accepted };
  }

  /** Publishes several messages in one call, in order (each stream keeps this order). */
  async broadcastBatch(messages: Iterable<BroadcastMessage>, options?: CallOptions): Promise<BroadcastResult> {
    const broadcasts = Array.from(messages, ({ stream, data }, i) =>
      ({ stream, data: encodePayload(data, `messages[${i}].data`) }));
    const response = await this.unary('BroadcastBatch', { broadcasts }, options);
    return { accepted: response.accepted };
  }

  /**
   * Disconnects every connection whose identifiers include all of
   * `identifiers` (which must not be empty), on whichever gateway it is.
   */
  async disconnect(identifiers: Record<string, string>, options?: DisconnectOptions): Promise<void> {
    await this.unary('Disconnect', { identifiers, reconnect: options?.reconnect ?? false }, options);
  }

  /**
   * Sends `data` to one connection: `sid` is the session id it was welcomed
   * with, `identifier` a subscription identifier exactly as it subscribed.
   */
  async transmit(sid: string, identifier: string, data: Payload, options?: CallOptions): Promise<void> {
    await this.unary('Transmit', { sid, identifier, data: encodePayload(data, 'data') }, options);
  }

  /** Creates a stateful channel with a starting state; an existing one is left as is. */
  async createChannel(name: string, state: Payload, options?: CreateChannelOptions): Promise<CreateChannelResult> {
    const request = {
      name,
      state: encodePayload(state, 'state'),
      type: options?.type ?? '',
      noEvents: options?.noEvents ?? false,
    };
    const response = await this.unary('CreateChannel', request, options);
    return { created: response.created };
  }

  /** A stateful channel's state and revision; NOT_FOUND for an unknown channel. */
  async getState(name: string, options?: CallOptions): Promise<ChannelState> {
    const r = await this.unary('GetState', { name }, options);
    let value: unknown;
    try {
      value = JSON.parse(r.state);
    } catch {
      value = undefined;
    }
    return { state: r.state, value, revision: r.revision, lastEventId: r.lastEventId, type: r.type,
      keepEvents: r.keepEvents };
  }

  /**
   * Compare-and-set: sets the state and/or appends events if the channel is
   * still at `update.expectedRevision`; otherwise FAILED_PRECONDITION (read
   * again with {@link getState} and retry).
   */
  async updateState(name: string, update: StateUpdate, options?: CallOptions): Promise<UpdateStateResult> {
    const request: RequestOf<'UpdateState'> = {
      name,
      expectedRevision: encodeUint64(update.expectedRevision, 'expectedRevision'),
      events: (update.events ?? []).map((e, i) => encodePayload(e, `events[${i}]`)),
    };
    if (update.state !== undefined) request.state = encodePayload(update.state, 'state');
    const r = await this.unary('UpdateState', request, options);
    return { revision: r.revision, firstEventId: r.firstEventId };
  }

  /** Deletes a stateful channel's older events, keeping what `keep` says. */
  async deleteEvents(name: string, keep: EventRetention, options?: CallOptions): Promise<DeleteEventsResult> {
    const request: RequestOf<'DeleteEvents'> = { name };
    if (keep.keepNum !== undefined) request.keepNum = encodeUint64(keep.keepNum, 'keepNum');
    if (keep.keepDurationMs !== undefined) {
      request.keepDurationMs = encodeUint64(keep.keepDurationMs, 'keepDurationMs');
    }
    const r = await this.unary('DeleteEvents', request, options);
    return { deleted: r.deleted };
  }

  /** Names of the stateful channels (of `options.type` only, when given). */
  async listChannels(options?: ListChannelsOptions): Promise<string[]> {
    const request: RequestOf<'ListChannels'> = {};
    if (options?.type !== undefined) request.type = options.type;
    const r = await this.unary('ListChannels', request, options);
    return r.names;
  }

  /** Closes the connection; calls made afterwards reject with CANCELLED. */
  close(): void {
    this.closed = true;
    this.client.close();
  }

  // One call: attempts until success, a failure not worth retrying, or the deadline.
  private async unary<M extends Method>(method: M, request: RequestOf<M>,
    options: CallOptions | undefined): Promise<ResponseOf<M>> {
    const deadline = Date.now() + checkTimeout(options?.timeoutMs ?? this.timeoutMs, 'timeoutMs');
    const policy = resolveRetryPolicy(this.retry, options?.retry);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(method, request, deadline);
      } catch (e) {
        const error = toCableError(e);
        const delay = delayBeforeRetry(policy, attempt, error, READ_ONLY.has(method), deadline - Date.now());
        if (delay === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async attempt<M extends Method>(method: M, request: RequestOf<M>, deadline: number): Promise<ResponseOf<M>> {
    if (this.closed) throw new CableError(status.CANCELLED, 'the Publisher is closed', { notSent: true });
    // Waiting here first makes a deadline that passes while connecting
    // distinguishable (notSent) from one that passes after sending.
    await waitWhileConnecting(this.client, this.target, deadline);
    const definition = this.service[method] as unknown as
      MethodDefinition<RequestOf<M>, unknown, unknown, ResponseOf<M>>;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(definition.path, definition.requestSerialize, definition.responseDeserialize,
        request, this.metadata.clone(), { deadline }, (error, response) => {
          if (error) reject(toCableError(error));
          else resolve(response as ResponseOf<M>);
        });
    });
  }
}
