// Original file: proto/cable/v1/publisher.proto


/**
 * Stateful channels (docs/protocol.md, "Stateful channels").
 */
export interface CreateChannelRequest {
  /**
   * Non-empty UTF-8, at most 512 bytes.
   */
  'name'?: (string);
  /**
   * The starting state: JSON text.
   */
  'state'?: (string);
  /**
   * At most 50 characters.
   */
  'type'?: (string);
  /**
   * Events are sent live but not stored (no backlog); the seed's
   * keep_events false.
   */
  'noEvents'?: (boolean);
}

/**
 * Stateful channels (docs/protocol.md, "Stateful channels").
 */
export interface CreateChannelRequest__Output {
  /**
   * Non-empty UTF-8, at most 512 bytes.
   */
  'name': (string);
  /**
   * The starting state: JSON text.
   */
  'state': (string);
  /**
   * At most 50 characters.
   */
  'type': (string);
  /**
   * Events are sent live but not stored (no backlog); the seed's
   * keep_events false.
   */
  'noEvents': (boolean);
}
