// Original file: proto/cable/v1/publisher.proto

import type { HistoryMessage as _cable_v1_HistoryMessage, HistoryMessage__Output as _cable_v1_HistoryMessage__Output } from '../../cable/v1/HistoryMessage';
import type { Long } from '@grpc/proto-loader';

export interface HistoryResponse {
  /**
   * The stream's epoch: offsets only compare within one epoch.
   */
  'epoch'?: (string);
  'messages'?: (_cable_v1_HistoryMessage)[];
  /**
   * The stream's last offset when read (0: no message kept).
   */
  'lastOffset'?: (number | string | Long);
}

export interface HistoryResponse__Output {
  /**
   * The stream's epoch: offsets only compare within one epoch.
   */
  'epoch': (string);
  'messages': (_cable_v1_HistoryMessage__Output)[];
  /**
   * The stream's last offset when read (0: no message kept).
   */
  'lastOffset': (number);
}
