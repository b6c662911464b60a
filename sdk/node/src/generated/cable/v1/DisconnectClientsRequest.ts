// Original file: proto/cable/v1/publisher.proto


export interface DisconnectClientsRequest {
  /**
   * Every connection whose identifiers include all of these pairs is
   * disconnected, on whichever gateway it is. Must not be empty.
   */
  'identifiers'?: ({[key: string]: string});
  /**
   * Sent to the clients in `disconnect`; reason is "remote".
   */
  'reconnect'?: (boolean);
}

export interface DisconnectClientsRequest__Output {
  /**
   * Every connection whose identifiers include all of these pairs is
   * disconnected, on whichever gateway it is. Must not be empty.
   */
  'identifiers': ({[key: string]: string});
  /**
   * Sent to the clients in `disconnect`; reason is "remote".
   */
  'reconnect': (boolean);
}
