// Original file: proto/cable/v1/publisher.proto


export interface PresenceStatsRequest {
  'stream'?: (string);
}

export interface PresenceStatsRequest__Output {
  'stream': (string);
}
