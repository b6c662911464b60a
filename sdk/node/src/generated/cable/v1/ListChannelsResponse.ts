// Original file: proto/cable/v1/publisher.proto


export interface ListChannelsResponse {
  'names'?: (string)[];
}

export interface ListChannelsResponse__Output {
  'names': (string)[];
}
