import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BroadcastBatchRequest as _cable_v1_BroadcastBatchRequest, BroadcastBatchRequest__Output as _cable_v1_BroadcastBatchRequest__Output } from './cable/v1/BroadcastBatchRequest';
import type { BroadcastRequest as _cable_v1_BroadcastRequest, BroadcastRequest__Output as _cable_v1_BroadcastRequest__Output } from './cable/v1/BroadcastRequest';
import type { BroadcastResponse as _cable_v1_BroadcastResponse, BroadcastResponse__Output as _cable_v1_BroadcastResponse__Output } from './cable/v1/BroadcastResponse';
import type { ChannelsRequest as _cable_v1_ChannelsRequest, ChannelsRequest__Output as _cable_v1_ChannelsRequest__Output } from './cable/v1/ChannelsRequest';
import type { ChannelsResponse as _cable_v1_ChannelsResponse, ChannelsResponse__Output as _cable_v1_ChannelsResponse__Output } from './cable/v1/ChannelsResponse';
import type { CreateChannelRequest as _cable_v1_CreateChannelRequest, CreateChannelRequest__Output as _cable_v1_CreateChannelRequest__Output } from './cable/v1/CreateChannelRequest';
import type { CreateChannelResponse as _cable_v1_CreateChannelResponse, CreateChannelResponse__Output as _cable_v1_CreateChannelResponse__Output } from './cable/v1/CreateChannelResponse';
import type { DeleteEventsRequest as _cable_v1_DeleteEventsRequest, DeleteEventsRequest__Output as _cable_v1_DeleteEventsRequest__Output } from './cable/v1/DeleteEventsRequest';
import type { DeleteEventsResponse as _cable_v1_DeleteEventsResponse, DeleteEventsResponse__Output as _cable_v1_DeleteEventsResponse__Output } from './cable/v1/DeleteEventsResponse';
import type { DisconnectClientsRequest as _cable_v1_DisconnectClientsRequest, DisconnectClientsRequest__Output as _cable_v1_DisconnectClientsRequest__Output } from './cable/v1/DisconnectClientsRequest';
import type { DisconnectClientsResponse as _cable_v1_DisconnectClientsResponse, DisconnectClientsResponse__Output as _cable_v1_DisconnectClientsResponse__Output } from './cable/v1/DisconnectClientsResponse';
import type { GatewayInfo as _cable_v1_GatewayInfo, GatewayInfo__Output as _cable_v1_GatewayInfo__Output } from './cable/v1/GatewayInfo';
import type { GetStateRequest as _cable_v1_GetStateRequest, GetStateRequest__Output as _cable_v1_GetStateRequest__Output } from './cable/v1/GetStateRequest';
import type { GetStateResponse as _cable_v1_GetStateResponse, GetStateResponse__Output as _cable_v1_GetStateResponse__Output } from './cable/v1/GetStateResponse';
import type { HistoryMessage as _cable_v1_HistoryMessage, HistoryMessage__Output as _cable_v1_HistoryMessage__Output } from './cable/v1/HistoryMessage';
import type { HistoryRequest as _cable_v1_HistoryRequest, HistoryRequest__Output as _cable_v1_HistoryRequest__Output } from './cable/v1/HistoryRequest';
import type { HistoryResponse as _cable_v1_HistoryResponse, HistoryResponse__Output as _cable_v1_HistoryResponse__Output } from './cable/v1/HistoryResponse';
import type { InfoRequest as _cable_v1_InfoRequest, InfoRequest__Output as _cable_v1_InfoRequest__Output } from './cable/v1/InfoRequest';
import type { InfoResponse as _cable_v1_InfoResponse, InfoResponse__Output as _cable_v1_InfoResponse__Output } from './cable/v1/InfoResponse';
import type { ListChannelsRequest as _cable_v1_ListChannelsRequest, ListChannelsRequest__Output as _cable_v1_ListChannelsRequest__Output } from './cable/v1/ListChannelsRequest';
import type { ListChannelsResponse as _cable_v1_ListChannelsResponse, ListChannelsResponse__Output as _cable_v1_ListChannelsResponse__Output } from './cable/v1/ListChannelsResponse';
import type { PresenceRecord as _cable_v1_PresenceRecord, PresenceRecord__Output as _cable_v1_PresenceRecord__Output } from './cable/v1/PresenceRecord';
import type { PresenceRequest as _cable_v1_PresenceRequest, PresenceRequest__Output as _cable_v1_PresenceRequest__Output } from './cable/v1/PresenceRequest';
import type { PresenceResponse as _cable_v1_PresenceResponse, PresenceResponse__Output as _cable_v1_PresenceResponse__Output } from './cable/v1/PresenceResponse';
import type { PresenceStatsRequest as _cable_v1_PresenceStatsRequest, PresenceStatsRequest__Output as _cable_v1_PresenceStatsRequest__Output } from './cable/v1/PresenceStatsRequest';
import type { PresenceStatsResponse as _cable_v1_PresenceStatsResponse, PresenceStatsResponse__Output as _cable_v1_PresenceStatsResponse__Output } from './cable/v1/PresenceStatsResponse';
import type { PublisherClient as _cable_v1_PublisherClient, PublisherDefinition as _cable_v1_PublisherDefinition } from './cable/v1/Publisher';
import type { ServiceInfo as _cable_v1_ServiceInfo, ServiceInfo__Output as _cable_v1_ServiceInfo__Output } from './cable/v1/ServiceInfo';
import type { StreamSubscribers as _cable_v1_StreamSubscribers, StreamSubscribers__Output as _cable_v1_StreamSubscribers__Output } from './cable/v1/StreamSubscribers';
import type { TransmitRequest as _cable_v1_TransmitRequest, TransmitRequest__Output as _cable_v1_TransmitRequest__Output } from './cable/v1/TransmitRequest';
import type { TransmitResponse as _cable_v1_TransmitResponse, TransmitResponse__Output as _cable_v1_TransmitResponse__Output } from './cable/v1/TransmitResponse';
import type { UpdateStateRequest as _cable_v1_UpdateStateRequest, UpdateStateRequest__Output as _cable_v1_UpdateStateRequest__Output } from './cable/v1/UpdateStateRequest';
import type { UpdateStateResponse as _cable_v1_UpdateStateResponse, UpdateStateResponse__Output as _cable_v1_UpdateStateResponse__Output } from './cable/v1/UpdateStateResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cable: {
    v1: {
      BroadcastBatchRequest: MessageTypeDefinition<_cable_v1_BroadcastBatchRequest, _cable_v1_BroadcastBatchRequest__Output>
      BroadcastRequest: MessageTypeDefinition<_cable_v1_BroadcastRequest, _cable_v1_BroadcastRequest__Output>
      BroadcastResponse: MessageTypeDefinition<_cable_v1_BroadcastResponse, _cable_v1_BroadcastResponse__Output>
      ChannelsRequest: MessageTypeDefinition<_cable_v1_ChannelsRequest, _cable_v1_ChannelsRequest__Output>
      ChannelsResponse: MessageTypeDefinition<_cable_v1_ChannelsResponse, _cable_v1_ChannelsResponse__Output>
      CreateChannelRequest: MessageTypeDefinition<_cable_v1_CreateChannelRequest, _cable_v1_CreateChannelRequest__Output>
      CreateChannelResponse: MessageTypeDefinition<_cable_v1_CreateChannelResponse, _cable_v1_CreateChannelResponse__Output>
      DeleteEventsRequest: MessageTypeDefinition<_cable_v1_DeleteEventsRequest, _cable_v1_DeleteEventsRequest__Output>
      DeleteEventsResponse: MessageTypeDefinition<_cable_v1_DeleteEventsResponse, _cable_v1_DeleteEventsResponse__Output>
      DisconnectClientsRequest: MessageTypeDefinition<_cable_v1_DisconnectClientsRequest, _cable_v1_DisconnectClientsRequest__Output>
      DisconnectClientsResponse: MessageTypeDefinition<_cable_v1_DisconnectClientsResponse, _cable_v1_DisconnectClientsResponse__Output>
      GatewayInfo: MessageTypeDefinition<_cable_v1_GatewayInfo, _cable_v1_GatewayInfo__Output>
      GetStateRequest: MessageTypeDefinition<_cable_v1_GetStateRequest, _cable_v1_GetStateRequest__Output>
      GetStateResponse: MessageTypeDefinition<_cable_v1_GetStateResponse, _cable_v1_GetStateResponse__Output>
      HistoryMessage: MessageTypeDefinition<_cable_v1_HistoryMessage, _cable_v1_HistoryMessage__Output>
      HistoryRequest: MessageTypeDefinition<_cable_v1_HistoryRequest, _cable_v1_HistoryRequest__Output>
      HistoryResponse: MessageTypeDefinition<_cable_v1_HistoryResponse, _cable_v1_HistoryResponse__Output>
      InfoRequest: MessageTypeDefinition<_cable_v1_InfoRequest, _cable_v1_InfoRequest__Output>
      InfoResponse: MessageTypeDefinition<_cable_v1_InfoResponse, _cable_v1_InfoResponse__Output>
      ListChannelsRequest: MessageTypeDefinition<_cable_v1_ListChannelsRequest, _cable_v1_ListChannelsRequest__Output>
      ListChannelsResponse: MessageTypeDefinition<_cable_v1_ListChannelsResponse, _cable_v1_ListChannelsResponse__Output>
      PresenceRecord: MessageTypeDefinition<_cable_v1_PresenceRecord, _cable_v1_PresenceRecord__Output>
      PresenceRequest: MessageTypeDefinition<_cable_v1_PresenceRequest, _cable_v1_PresenceRequest__Output>
      PresenceResponse: MessageTypeDefinition<_cable_v1_PresenceResponse, _cable_v1_PresenceResponse__Output>
      PresenceStatsRequest: MessageTypeDefinition<_cable_v1_PresenceStatsRequest, _cable_v1_PresenceStatsRequest__Output>
      PresenceStatsResponse: MessageTypeDefinition<_cable_v1_PresenceStatsResponse, _cable_v1_PresenceStatsResponse__Output>
      /**
       * What applications in any language call to publish.
       */
      Publisher: SubtypeConstructor<typeof grpc.Client, _cable_v1_PublisherClient> & { service: _cable_v1_PublisherDefinition }
      ServiceInfo: MessageTypeDefinition<_cable_v1_ServiceInfo, _cable_v1_ServiceInfo__Output>
      StreamSubscribers: MessageTypeDefinition<_cable_v1_StreamSubscribers, _cable_v1_StreamSubscribers__Output>
      TransmitRequest: MessageTypeDefinition<_cable_v1_TransmitRequest, _cable_v1_TransmitRequest__Output>
      TransmitResponse: MessageTypeDefinition<_cable_v1_TransmitResponse, _cable_v1_TransmitResponse__Output>
      UpdateStateRequest: MessageTypeDefinition<_cable_v1_UpdateStateRequest, _cable_v1_UpdateStateRequest__Output>
      UpdateStateResponse: MessageTypeDefinition<_cable_v1_UpdateStateResponse, _cable_v1_UpdateStateResponse__Output>
    }
  }
}

