// Original file: proto/cable/v1/publisher.proto


export interface ListChannelsRequest {
  /**
   * Only channels of this type, when set.
   */
  'type'?: (string);
  '_type'?: "type";
}

export interface ListChannelsRequest__Output {
  /**
   * Only channels of this type, when set.
   */
  'type'?: (string);
  '_type'?: "type";
}
