// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface HistoryRequest {
  /**
   * Stream name, as in BroadcastRequest.
   */
  'stream'?: (string);
  /**
   * Messages after this offset of `epoch` (from a BroadcastResponse, a
   * client's stream_id/epoch/offset, or a previous HistoryResponse) ...
   */
  'afterOffset'?: (number | string | Long);
  'epoch'?: (string);
  /**
   * ... or, without after_offset, messages kept since this time (Unix
   * milliseconds); with neither, every message kept.
   */
  'sinceUnixMs'?: (number | string | Long);
  /**
   * At most this many, the oldest first (0: 1,000); page on with
   * after_offset = the last one's offset.
   */
  'limit'?: (number);
  '_afterOffset'?: "afterOffset";
  '_sinceUnixMs'?: "sinceUnixMs";
}

export interface HistoryRequest__Output {
  /**
   * Stream name, as in BroadcastRequest.
   */
  'stream': (string);
  /**
   * Messages after this offset of `epoch` (from a BroadcastResponse, a
   * client's stream_id/epoch/offset, or a previous HistoryResponse) ...
   */
  'afterOffset'?: (number);
  'epoch': (string);
  /**
   * ... or, without after_offset, messages kept since this time (Unix
   * milliseconds); with neither, every message kept.
   */
  'sinceUnixMs'?: (number);
  /**
   * At most this many, the oldest first (0: 1,000); page on with
   * after_offset = the last one's offset.
   */
  'limit': (number);
  '_afterOffset'?: "afterOffset";
  '_sinceUnixMs'?: "sinceUnixMs";
}
