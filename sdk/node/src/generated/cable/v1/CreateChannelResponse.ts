// Original file: proto/cable/v1/publisher.proto


export interface CreateChannelResponse {
  /**
   * False when the channel already existed (nothing changed).
   */
  'created'?: (boolean);
}

export interface CreateChannelResponse__Output {
  /**
   * False when the channel already existed (nothing changed).
   */
  'created': (boolean);
}
