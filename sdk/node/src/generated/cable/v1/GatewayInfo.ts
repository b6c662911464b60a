// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface GatewayInfo {
  'id'?: (string);
  /**
   * Open WebSocket connections.
   */
  'connections'?: (number | string | Long);
  /**
   * Subscriptions to streams, all streams together.
   */
  'subscriptions'?: (number | string | Long);
  /**
   * Streams with at least one subscriber on this gateway.
   */
  'streams'?: (number | string | Long);
  'version'?: (string);
  'uptimeSeconds'?: (number | string | Long);
}

export interface GatewayInfo__Output {
  'id': (string);
  /**
   * Open WebSocket connections.
   */
  'connections': (number);
  /**
   * Subscriptions to streams, all streams together.
   */
  'subscriptions': (number);
  /**
   * Streams with at least one subscriber on this gateway.
   */
  'streams': (number);
  'version': (string);
  'uptimeSeconds': (number);
}
