// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateStateResponse {
  'revision'?: (number | string | Long);
  /**
   * Id of the first event appended, 0 if none.
   */
  'firstEventId'?: (number | string | Long);
}

export interface UpdateStateResponse__Output {
  'revision': (number);
  /**
   * Id of the first event appended, 0 if none.
   */
  'firstEventId': (number);
}
