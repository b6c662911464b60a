// Original file: proto/cable/v1/publisher.proto


export interface PresenceRequest {
  /**
   * Stream name, as in BroadcastRequest.
   */
  'stream'?: (string);
}

export interface PresenceRequest__Output {
  /**
   * Stream name, as in BroadcastRequest.
   */
  'stream': (string);
}
