// Original file: proto/cable/v1/publisher.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteEventsResponse {
  'deleted'?: (number | string | Long);
}

export interface DeleteEventsResponse__Output {
  'deleted': (number);
}
