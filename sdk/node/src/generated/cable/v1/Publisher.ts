// Original file: proto/cable/v1/publisher.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BroadcastBatchRequest as _cable_v1_BroadcastBatchRequest, BroadcastBatchRequest__Output as _cable_v1_BroadcastBatchRequest__Output } from '../../cable/v1/BroadcastBatchRequest';
import type { BroadcastRequest as _cable_v1_BroadcastRequest, BroadcastRequest__Output as _cable_v1_BroadcastRequest__Output } from '../../cable/v1/BroadcastRequest';
import type { BroadcastResponse as _cable_v1_BroadcastResponse, BroadcastResponse__Output as _cable_v1_BroadcastResponse__Output } from '../../cable/v1/BroadcastResponse';
import type { CreateChannelRequest as _cable_v1_CreateChannelRequest, CreateChannelRequest__Output as _cable_v1_CreateChannelRequest__Output } from '../../cable/v1/CreateChannelRequest';
import type { CreateChannelResponse as _cable_v1_CreateChannelResponse, CreateChannelResponse__Output as _cable_v1_CreateChannelResponse__Output } from '../../cable/v1/CreateChannelResponse';
import type { DeleteEventsRequest as _cable_v1_DeleteEventsRequest, DeleteEventsRequest__Output as _cable_v1_DeleteEventsRequest__Output } from '../../cable/v1/DeleteEventsRequest';
import type { DeleteEventsResponse as _cable_v1_DeleteEventsResponse, DeleteEventsResponse__Output as _cable_v1_DeleteEventsResponse__Output } from '../../cable/v1/DeleteEventsResponse';
import type { DisconnectClientsRequest as _cable_v1_DisconnectClientsRequest, DisconnectClientsRequest__Output as _cable_v1_DisconnectClientsRequest__Output } from '../../cable/v1/DisconnectClientsRequest';
import type { DisconnectClientsResponse as _cable_v1_DisconnectClientsResponse, DisconnectClientsResponse__Output as _cable_v1_DisconnectClientsResponse__Output } from '../../cable/v1/DisconnectClientsResponse';
import type { GetStateRequest as _cable_v1_GetStateRequest, GetStateRequest__Output as _cable_v1_GetStateRequest__Output } from '../../cable/v1/GetStateRequest';
import type { GetStateResponse as _cable_v1_GetStateResponse, GetStateResponse__Output as _cable_v1_GetStateResponse__Output } from '../../cable/v1/GetStateResponse';
import type { HistoryRequest as _cable_v1_HistoryRequest, HistoryRequest__Output as _cable_v1_HistoryRequest__Output } from '../../cable/v1/HistoryRequest';
import type { HistoryResponse as _cable_v1_HistoryResponse, HistoryResponse__Output as _cable_v1_HistoryResponse__Output } from '../../cable/v1/HistoryResponse';
import type { ListChannelsRequest as _cable_v1_ListChannelsRequest, ListChannelsRequest__Output as _cable_v1_ListChannelsRequest__Output } from '../../cable/v1/ListChannelsRequest';
import type { ListChannelsResponse as _cable_v1_ListChannelsResponse, ListChannelsResponse__Output as _cable_v1_ListChannelsResponse__Output } from '../../cable/v1/ListChannelsResponse';
import type { TransmitRequest as _cable_v1_TransmitRequest, TransmitRequest__Output as _cable_v1_TransmitRequest__Output } from '../../cable/v1/TransmitRequest';
import type { TransmitResponse as _cable_v1_TransmitResponse, TransmitResponse__Output as _cable_v1_TransmitResponse__Output } from '../../cable/v1/TransmitResponse';
import type { UpdateStateRequest as _cable_v1_UpdateStateRequest, UpdateStateRequest__Output as _cable_v1_UpdateStateRequest__Output } from '../../cable/v1/UpdateStateRequest';
import type { UpdateStateResponse as _cable_v1_UpdateStateResponse, UpdateStateResponse__Output as _cable_v1_UpdateStateResponse__Output } from '../../cable/v1/UpdateStateResponse';

/**
 * What applications in any language call to publish.
 */
export interface PublisherClient extends grpc.Client {
  /**
   * Publish one message to every subscriber of a stream.
   */
  Broadcast(argument: _cable_v1_BroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  Broadcast(argument: _cable_v1_BroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  Broadcast(argument: _cable_v1_BroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  Broadcast(argument: _cable_v1_BroadcastRequest, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Publish one message to every subscriber of a stream.
   */
  broadcast(argument: _cable_v1_BroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _cable_v1_BroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _cable_v1_BroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  broadcast(argument: _cable_v1_BroadcastRequest, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Publish several messages in one call.
   */
  BroadcastBatch(argument: _cable_v1_BroadcastBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  BroadcastBatch(argument: _cable_v1_BroadcastBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  BroadcastBatch(argument: _cable_v1_BroadcastBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  BroadcastBatch(argument: _cable_v1_BroadcastBatchRequest, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Publish several messages in one call.
   */
  broadcastBatch(argument: _cable_v1_BroadcastBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  broadcastBatch(argument: _cable_v1_BroadcastBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  broadcastBatch(argument: _cable_v1_BroadcastBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  broadcastBatch(argument: _cable_v1_BroadcastBatchRequest, callback: grpc.requestCallback<_cable_v1_BroadcastResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stateful channels. Creating an existing channel is not an error.
   */
  CreateChannel(argument: _cable_v1_CreateChannelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  CreateChannel(argument: _cable_v1_CreateChannelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  CreateChannel(argument: _cable_v1_CreateChannelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  CreateChannel(argument: _cable_v1_CreateChannelRequest, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stateful channels. Creating an existing channel is not an error.
   */
  createChannel(argument: _cable_v1_CreateChannelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  createChannel(argument: _cable_v1_CreateChannelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  createChannel(argument: _cable_v1_CreateChannelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  createChannel(argument: _cable_v1_CreateChannelRequest, callback: grpc.requestCallback<_cable_v1_CreateChannelResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteEvents(argument: _cable_v1_DeleteEventsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  DeleteEvents(argument: _cable_v1_DeleteEventsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  DeleteEvents(argument: _cable_v1_DeleteEventsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  DeleteEvents(argument: _cable_v1_DeleteEventsRequest, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  deleteEvents(argument: _cable_v1_DeleteEventsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  deleteEvents(argument: _cable_v1_DeleteEventsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  deleteEvents(argument: _cable_v1_DeleteEventsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  deleteEvents(argument: _cable_v1_DeleteEventsRequest, callback: grpc.requestCallback<_cable_v1_DeleteEventsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Disconnect every connection carrying the given identifiers.
   */
  Disconnect(argument: _cable_v1_DisconnectClientsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  Disconnect(argument: _cable_v1_DisconnectClientsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  Disconnect(argument: _cable_v1_DisconnectClientsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  Disconnect(argument: _cable_v1_DisconnectClientsRequest, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Disconnect every connection carrying the given identifiers.
   */
  disconnect(argument: _cable_v1_DisconnectClientsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  disconnect(argument: _cable_v1_DisconnectClientsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  disconnect(argument: _cable_v1_DisconnectClientsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  disconnect(argument: _cable_v1_DisconnectClientsRequest, callback: grpc.requestCallback<_cable_v1_DisconnectClientsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * NOT_FOUND for an unknown channel.
   */
  GetState(argument: _cable_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _cable_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _cable_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _cable_v1_GetStateRequest, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * NOT_FOUND for an unknown channel.
   */
  getState(argument: _cable_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _cable_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _cable_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _cable_v1_GetStateRequest, callback: grpc.requestCallback<_cable_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reliable streams: what a stream keeps for replays (--history_limit,
   * --history_ttl, --history_policy). FAILED_PRECONDITION when the stream
   * keeps no history or `epoch` is not its epoch any more; OUT_OF_RANGE
   * when messages after `after_offset` were already dropped.
   */
  History(argument: _cable_v1_HistoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  History(argument: _cable_v1_HistoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  History(argument: _cable_v1_HistoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  History(argument: _cable_v1_HistoryRequest, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reliable streams: what a stream keeps for replays (--history_limit,
   * --history_ttl, --history_policy). FAILED_PRECONDITION when the stream
   * keeps no history or `epoch` is not its epoch any more; OUT_OF_RANGE
   * when messages after `after_offset` were already dropped.
   */
  history(argument: _cable_v1_HistoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  history(argument: _cable_v1_HistoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  history(argument: _cable_v1_HistoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  history(argument: _cable_v1_HistoryRequest, callback: grpc.requestCallback<_cable_v1_HistoryResponse__Output>): grpc.ClientUnaryCall;
  
  ListChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  ListChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  ListChannels(argument: _cable_v1_ListChannelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  ListChannels(argument: _cable_v1_ListChannelsRequest, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Send one message to one connection (seed: `transmit` outside a
   * command), through the per-gateway control subject of its gateway.
   */
  Transmit(argument: _cable_v1_TransmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  Transmit(argument: _cable_v1_TransmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  Transmit(argument: _cable_v1_TransmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  Transmit(argument: _cable_v1_TransmitRequest, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Send one message to one connection (seed: `transmit` outside a
   * command), through the per-gateway control subject of its gateway.
   */
  transmit(argument: _cable_v1_TransmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  transmit(argument: _cable_v1_TransmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  transmit(argument: _cable_v1_TransmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  transmit(argument: _cable_v1_TransmitRequest, callback: grpc.requestCallback<_cable_v1_TransmitResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Compare-and-set on the revision: build lock_state in any language as
   * a GetState / UpdateState retry loop.
   */
  UpdateState(argument: _cable_v1_UpdateStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  UpdateState(argument: _cable_v1_UpdateStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  UpdateState(argument: _cable_v1_UpdateStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  UpdateState(argument: _cable_v1_UpdateStateRequest, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Compare-and-set on the revision: build lock_state in any language as
   * a GetState / UpdateState retry loop.
   */
  updateState(argument: _cable_v1_UpdateStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  updateState(argument: _cable_v1_UpdateStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  updateState(argument: _cable_v1_UpdateStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  updateState(argument: _cable_v1_UpdateStateRequest, callback: grpc.requestCallback<_cable_v1_UpdateStateResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * What applications in any language call to publish.
 */
export interface PublisherHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Publish one message to every subscriber of a stream.
   */
  Broadcast: grpc.handleUnaryCall<_cable_v1_BroadcastRequest__Output, _cable_v1_BroadcastResponse>;
  
  /**
   * Publish several messages in one call.
   */
  BroadcastBatch: grpc.handleUnaryCall<_cable_v1_BroadcastBatchRequest__Output, _cable_v1_BroadcastResponse>;
  
  /**
   * Stateful channels. Creating an existing channel is not an error.
   */
  CreateChannel: grpc.handleUnaryCall<_cable_v1_CreateChannelRequest__Output, _cable_v1_CreateChannelResponse>;
  
  DeleteEvents: grpc.handleUnaryCall<_cable_v1_DeleteEventsRequest__Output, _cable_v1_DeleteEventsResponse>;
  
  /**
   * Disconnect every connection carrying the given identifiers.
   */
  Disconnect: grpc.handleUnaryCall<_cable_v1_DisconnectClientsRequest__Output, _cable_v1_DisconnectClientsResponse>;
  
  /**
   * NOT_FOUND for an unknown channel.
   */
  GetState: grpc.handleUnaryCall<_cable_v1_GetStateRequest__Output, _cable_v1_GetStateResponse>;
  
  /**
   * Reliable streams: what a stream keeps for replays (--history_limit,
   * --history_ttl, --history_policy). FAILED_PRECONDITION when the stream
   * keeps no history or `epoch` is not its epoch any more; OUT_OF_RANGE
   * when messages after `after_offset` were already dropped.
   */
  History: grpc.handleUnaryCall<_cable_v1_HistoryRequest__Output, _cable_v1_HistoryResponse>;
  
  ListChannels: grpc.handleUnaryCall<_cable_v1_ListChannelsRequest__Output, _cable_v1_ListChannelsResponse>;
  
  /**
   * Send one message to one connection (seed: `transmit` outside a
   * command), through the per-gateway control subject of its gateway.
   */
  Transmit: grpc.handleUnaryCall<_cable_v1_TransmitRequest__Output, _cable_v1_TransmitResponse>;
  
  /**
   * Compare-and-set on the revision: build lock_state in any language as
   * a GetState / UpdateState retry loop.
   */
  UpdateState: grpc.handleUnaryCall<_cable_v1_UpdateStateRequest__Output, _cable_v1_UpdateStateResponse>;
  
}

export interface PublisherDefinition extends grpc.ServiceDefinition {
  Broadcast: MethodDefinition<_cable_v1_BroadcastRequest, _cable_v1_BroadcastResponse, _cable_v1_BroadcastRequest__Output, _cable_v1_BroadcastResponse__Output>
  BroadcastBatch: MethodDefinition<_cable_v1_BroadcastBatchRequest, _cable_v1_BroadcastResponse, _cable_v1_BroadcastBatchRequest__Output, _cable_v1_BroadcastResponse__Output>
  CreateChannel: MethodDefinition<_cable_v1_CreateChannelRequest, _cable_v1_CreateChannelResponse, _cable_v1_CreateChannelRequest__Output, _cable_v1_CreateChannelResponse__Output>
  DeleteEvents: MethodDefinition<_cable_v1_DeleteEventsRequest, _cable_v1_DeleteEventsResponse, _cable_v1_DeleteEventsRequest__Output, _cable_v1_DeleteEventsResponse__Output>
  Disconnect: MethodDefinition<_cable_v1_DisconnectClientsRequest, _cable_v1_DisconnectClientsResponse, _cable_v1_DisconnectClientsRequest__Output, _cable_v1_DisconnectClientsResponse__Output>
  GetState: MethodDefinition<_cable_v1_GetStateRequest, _cable_v1_GetStateResponse, _cable_v1_GetStateRequest__Output, _cable_v1_GetStateResponse__Output>
  History: MethodDefinition<_cable_v1_HistoryRequest, _cable_v1_HistoryResponse, _cable_v1_HistoryRequest__Output, _cable_v1_HistoryResponse__Output>
  ListChannels: MethodDefinition<_cable_v1_ListChannelsRequest, _cable_v1_ListChannelsResponse, _cable_v1_ListChannelsRequest__Output, _cable_v1_ListChannelsResponse__Output>
  Transmit: MethodDefinition<_cable_v1_TransmitRequest, _cable_v1_TransmitResponse, _cable_v1_TransmitRequest__Output, _cable_v1_TransmitResponse__Output>
  UpdateState: MethodDefinition<_cable_v1_UpdateStateRequest, _cable_v1_UpdateStateResponse, _cable_v1_UpdateStateRequest__Output, _cable_v1_UpdateStateResponse__Output>
}
