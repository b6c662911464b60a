// Original file: proto/cable/v1/publisher.proto

import type { PresenceRecord as _cable_v1_PresenceRecord, PresenceRecord__Output as _cable_v1_PresenceRecord__Output } from '../../cable/v1/PresenceRecord';

export interface PresenceResponse {
  /**
   * Who is present, by id (one record however many connections share an
   * id), sorted by id.
   */
  'records'?: (_cable_v1_PresenceRecord)[];
}

export interface PresenceResponse__Output {
  /**
   * Who is present, by id (one record however many connections share an
   * id), sorted by id.
   */
  'records': (_cable_v1_PresenceRecord__Output)[];
}
