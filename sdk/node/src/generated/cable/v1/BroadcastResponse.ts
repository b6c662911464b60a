// Original file: proto/cable/v1/publisher.proto


export interface BroadcastResponse {
  /**
   * Number of broadcasts accepted.
   */
  'accepted'?: (number);
}

export interface BroadcastResponse__Output {
  /**
   * Number of broadcasts accepted.
   */
  'accepted': (number);
}
