// Original file: proto/cable/v1/publisher.proto


export interface TransmitRequest {
  /**
   * The connection: the session id it was welcomed with
   * ("<gateway id>.<random>"), which names the gateway holding it.
   */
  'sid'?: (string);
  /**
   * The subscription identifier the message is for, exactly as the client
   * subscribed with it.
   */
  'identifier'?: (string);
  /**
   * As in BroadcastRequest: valid JSON is sent as that value, anything else
   * as a JSON string.
   */
  'data'?: (string);
}

export interface TransmitRequest__Output {
  /**
   * The connection: the session id it was welcomed with
   * ("<gateway id>.<random>"), which names the gateway holding it.
   */
  'sid': (string);
  /**
   * The subscription identifier the message is for, exactly as the client
   * subscribed with it.
   */
  'identifier': (string);
  /**
   * As in BroadcastRequest: valid JSON is sent as that value, anything else
   * as a JSON string.
   */
  'data': (string);
}
