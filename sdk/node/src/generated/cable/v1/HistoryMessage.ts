// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface HistoryMessage {
  'offset'?: (number | string | Long);
  /**
   * The data as broadcast.
   */
  'data'?: (string);
  'timeUnixMs'?: (number | string | Long);
}

export interface HistoryMessage__Output {
  'offset': (number);
  /**
   * The data as broadcast.
   */
  'data': (string);
  'timeUnixMs': (number);
}
