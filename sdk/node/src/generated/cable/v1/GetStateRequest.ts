// Original file: proto/cable/v1/publisher.proto


export interface GetStateRequest {
  'name'?: (string);
}

export interface GetStateRequest__Output {
  'name': (string);
}
