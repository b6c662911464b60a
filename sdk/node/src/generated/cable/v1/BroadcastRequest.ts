// Original file: proto/cable/v1/publisher.proto


export interface BroadcastRequest {
  /**
   * Stream name: arbitrary non-empty UTF-8.
   */
  'stream'?: (string);
  /**
   * Payload. Valid JSON is delivered as that JSON value in the client's
   * `message`; anything else as a JSON string.
   */
  'data'?: (string);
}

export interface BroadcastRequest__Output {
  /**
   * Stream name: arbitrary non-empty UTF-8.
   */
  'stream': (string);
  /**
   * Payload. Valid JSON is delivered as that JSON value in the client's
   * `message`; anything else as a JSON string.
   */
  'data': (string);
}
