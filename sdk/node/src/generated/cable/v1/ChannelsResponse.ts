// Original file: proto/cable/v1/publisher.proto

import type { StreamSubscribers as _cable_v1_StreamSubscribers, StreamSubscribers__Output as _cable_v1_StreamSubscribers__Output } from '../../cable/v1/StreamSubscribers';

export interface ChannelsResponse {
  /**
   * The streams with subscribers right now, sorted by name.
   */
  'streams'?: (_cable_v1_StreamSubscribers)[];
  /**
   * More streams matched than the 10,000 listed (the first by name, with
   * their exact counts).
   */
  'truncated'?: (boolean);
  /**
   * Gateways alive by their heartbeats that did not answer within the
   * survey's deadline (2 s): their subscribers are not counted.
   */
  'unansweredGateways'?: (string)[];
}

export interface ChannelsResponse__Output {
  /**
   * The streams with subscribers right now, sorted by name.
   */
  'streams': (_cable_v1_StreamSubscribers__Output)[];
  /**
   * More streams matched than the 10,000 listed (the first by name, with
   * their exact counts).
   */
  'truncated': (boolean);
  /**
   * Gateways alive by their heartbeats that did not answer within the
   * survey's deadline (2 s): their subscribers are not counted.
   */
  'unansweredGateways': (string)[];
}
