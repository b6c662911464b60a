// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteEventsRequest {
  'name'?: (string);
  /**
   * Keep the newest `keep_num` events and those younger than
   * `keep_duration_ms`, whichever keeps more. At least one must be set.
   */
  'keepNum'?: (number | string | Long);
  'keepDurationMs'?: (number | string | Long);
  '_keepNum'?: "keepNum";
  '_keepDurationMs'?: "keepDurationMs";
}

export interface DeleteEventsRequest__Output {
  'name': (string);
  /**
   * Keep the newest `keep_num` events and those younger than
   * `keep_duration_ms`, whichever keeps more. At least one must be set.
   */
  'keepNum'?: (number);
  'keepDurationMs'?: (number);
  '_keepNum'?: "keepNum";
  '_keepDurationMs'?: "keepDurationMs";
}
