// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface BroadcastResponse {
  /**
   * Number of broadcasts accepted.
   */
  'accepted'?: (number);
  /**
   * Broadcast to a stream that keeps history (the server's --history_limit
   * and --history_policy): the offset the message got in its stream (1, 2,
   * 3, ...) and the stream's epoch, as extended-protocol clients see them.
   * 0 and "" when the stream keeps no history, and on BroadcastBatch.
   */
  'offset'?: (number | string | Long);
  'epoch'?: (string);
}

export interface BroadcastResponse__Output {
  /**
   * Number of broadcasts accepted.
   */
  'accepted': (number);
  /**
   * Broadcast to a stream that keeps history (the server's --history_limit
   * and --history_policy): the offset the message got in its stream (1, 2,
   * 3, ...) and the stream's epoch, as extended-protocol clients see them.
   * 0 and "" when the stream keeps no history, and on BroadcastBatch.
   */
  'offset': (number);
  'epoch': (string);
}
