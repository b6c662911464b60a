// Original file: proto/cable/v1/publisher.proto


export interface PresenceStatsResponse {
  /**
   * Connections present (each joined subscription counts once).
   */
  'numClients'?: (number);
  /**
   * Distinct ids present.
   */
  'numUsers'?: (number);
}

export interface PresenceStatsResponse__Output {
  /**
   * Connections present (each joined subscription counts once).
   */
  'numClients': (number);
  /**
   * Distinct ids present.
   */
  'numUsers': (number);
}
