// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface StreamSubscribers {
  'stream'?: (string);
  /**
   * Subscriptions to the stream, summed over every gateway (a client
   * subscribed twice, under two identifiers, counts twice).
   */
  'subscribers'?: (number | string | Long);
}

export interface StreamSubscribers__Output {
  'stream': (string);
  /**
   * Subscriptions to the stream, summed over every gateway (a client
   * subscribed twice, under two identifiers, counts twice).
   */
  'subscribers': (number);
}
