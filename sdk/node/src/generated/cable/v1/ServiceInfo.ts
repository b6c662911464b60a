// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface ServiceInfo {
  'id'?: (string);
  'version'?: (string);
  'uptimeSeconds'?: (number | string | Long);
}

export interface ServiceInfo__Output {
  'id': (string);
  'version': (string);
  'uptimeSeconds': (number);
}
