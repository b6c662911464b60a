// A tiny application written against cable-publisher's published types
// (sdk/node/dist/index.d.ts). Compiled with tsc --noEmit only: it must
// type-check, and each @ts-expect-error line must be a type error.
import {
  CableError, DEFAULT_RETRY, Publisher, status, type BroadcastResult, type CallOptions, type ChannelState,
  type PublisherOptions, type RetryPolicy,
} from '../../../sdk/node';

interface ChatMessage {
  user: string;
  text: string;
}

const retry: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 5 };
const options: PublisherOptions = {
  target: '127.0.0.1:50051',
  apiKey: 'secret',
  tls: { rootCerts: 'PEM', certChain: new Uint8Array([0x2d]), privateKey: 'PEM', serverName: 'cable.local' },
  timeoutMs: 2000,
  retry,
};

export async function app(): Promise<number> {
  const publisher = new Publisher(options);
  const message: ChatMessage = { user: 'bob', text: 'hi' };
  const call: CallOptions = { timeoutMs: 500, retry: false };
  try {
    const one: BroadcastResult = await publisher.broadcast('chat:lobby', message, call);
    const many = await publisher.broadcastBatch([{ stream: 'a', data: 'text' }, { stream: 'b', data: [1, 2] }]);
    await publisher.transmit('gw.sid', '{"channel":"ChatChannel"}', { only: 'you' });
    await publisher.disconnect({ user: 'bob' }, { reconnect: false, timeoutMs: 100 });
    const created: boolean = (await publisher.createChannel('board:1', { cells: [] }, { type: 'board' })).created;
    const state: ChannelState = await publisher.getState('board:1');
    const revision: number = state.revision;
    const next = await publisher.updateState('board:1', { expectedRevision: revision, events: [{ set: 1 }] });
    await publisher.updateState('board:1', { expectedRevision: 10n, state: '{"cells":[]}' });
    const deleted: number = (await publisher.deleteEvents('board:1', { keepNum: 100 })).deleted;
    const names: string[] = await publisher.listChannels({ type: 'board' });
    // @ts-expect-error a stream is a string
    await publisher.broadcast(42, 'x');
    // @ts-expect-error BroadcastResult has no 'ok'
    void one.ok;
    // @ts-expect-error identifiers map strings to strings
    await publisher.disconnect({ user: 7 });
    // @ts-expect-error updateState needs expectedRevision
    await publisher.updateState('board:1', { events: [] });
    return one.accepted + many.accepted + next.firstEventId + deleted + names.length + (created ? 1 : 0);
  } catch (error) {
    if (error instanceof CableError) {
      const code: status = error.code;
      const retryable: boolean = error.retryable && error.notSent;
      return code === status.UNAVAILABLE && retryable ? -1 : -2;
    }
    throw error;
  } finally {
    publisher.close();
  }
}

// @ts-expect-error target is required
new Publisher({ apiKey: 'k' });
