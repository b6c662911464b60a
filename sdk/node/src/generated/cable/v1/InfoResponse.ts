// Original file: proto/cable/v1/publisher.proto

import type { GatewayInfo as _cable_v1_GatewayInfo, GatewayInfo__Output as _cable_v1_GatewayInfo__Output } from '../../cable/v1/GatewayInfo';
import type { ServiceInfo as _cable_v1_ServiceInfo, ServiceInfo__Output as _cable_v1_ServiceInfo__Output } from '../../cable/v1/ServiceInfo';
import type { Long } from '@grpc/proto-loader';

export interface InfoResponse {
  /**
   * Every gateway that answered, sorted by id.
   */
  'gateways'?: (_cable_v1_GatewayInfo)[];
  /**
   * Every service replica that answered (this one included), sorted by id.
   */
  'services'?: (_cable_v1_ServiceInfo)[];
  /**
   * Connections over the gateways that answered.
   */
  'connections'?: (number | string | Long);
  /**
   * The version of the service that answered this call.
   */
  'version'?: (string);
  /**
   * Alive by their heartbeats, but silent until the deadline (2 s).
   */
  'unansweredGateways'?: (string)[];
  'unansweredServices'?: (string)[];
}

export interface InfoResponse__Output {
  /**
   * Every gateway that answered, sorted by id.
   */
  'gateways': (_cable_v1_GatewayInfo__Output)[];
  /**
   * Every service replica that answered (this one included), sorted by id.
   */
  'services': (_cable_v1_ServiceInfo__Output)[];
  /**
   * Connections over the gateways that answered.
   */
  'connections': (number);
  /**
   * The version of the service that answered this call.
   */
  'version': (string);
  /**
   * Alive by their heartbeats, but silent until the deadline (2 s).
   */
  'unansweredGateways': (string)[];
  'unansweredServices': (string)[];
}
