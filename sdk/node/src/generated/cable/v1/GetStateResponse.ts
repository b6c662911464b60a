// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface GetStateResponse {
  /**
   * JSON text.
   */
  'state'?: (string);
  'revision'?: (number | string | Long);
  'lastEventId'?: (number | string | Long);
  'type'?: (string);
  'keepEvents'?: (boolean);
}

export interface GetStateResponse__Output {
  /**
   * JSON text.
   */
  'state': (string);
  'revision': (number);
  'lastEventId': (number);
  'type': (string);
  'keepEvents': (boolean);
}
