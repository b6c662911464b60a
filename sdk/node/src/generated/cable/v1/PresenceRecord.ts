// Original file: proto/cable/v1/publisher.proto


export interface PresenceRecord {
  /**
   * The id the client joined with.
   */
  'id'?: (string);
  /**
   * The info it joined with: JSON text ("null" when it gave none).
   */
  'info'?: (string);
}

export interface PresenceRecord__Output {
  /**
   * The id the client joined with.
   */
  'id': (string);
  /**
   * The info it joined with: JSON text ("null" when it gave none).
   */
  'info': (string);
}
