// Original file: proto/cable/v1/publisher.proto

import type { BroadcastRequest as _cable_v1_BroadcastRequest, BroadcastRequest__Output as _cable_v1_BroadcastRequest__Output } from '../../cable/v1/BroadcastRequest';

export interface BroadcastBatchRequest {
  /**
   * Published in order; each stream keeps the order given here.
   */
  'broadcasts'?: (_cable_v1_BroadcastRequest)[];
}

export interface BroadcastBatchRequest__Output {
  /**
   * Published in order; each stream keeps the order given here.
   */
  'broadcasts': (_cable_v1_BroadcastRequest__Output)[];
}
