// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateStateRequest {
  'name'?: (string);
  /**
   * Compare-and-set: the update applies only if the channel is still at
   * this revision; otherwise FAILED_PRECONDITION (read again and retry).
   */
  'expectedRevision'?: (number | string | Long);
  /**
   * The new state (JSON text); unset leaves the state unchanged.
   */
  'state'?: (string);
  /**
   * Events (JSON text each), in order. The last one travels with the
   * state's patch.
   */
  'events'?: (string)[];
  '_state'?: "state";
}

export interface UpdateStateRequest__Output {
  'name': (string);
  /**
   * Compare-and-set: the update applies only if the channel is still at
   * this revision; otherwise FAILED_PRECONDITION (read again and retry).
   */
  'expectedRevision': (number);
  /**
   * The new state (JSON text); unset leaves the state unchanged.
   */
  'state'?: (string);
  /**
   * Events (JSON text each), in order. The last one travels with the
   * state's patch.
   */
  'events': (string)[];
  '_state'?: "state";
}
