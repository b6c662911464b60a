// Original file: proto/cable/v1/publisher.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BroadcastBatchRequest as _cable_v1_BroadcastBatchRequest, BroadcastBatchRequest__Output as _cable_v1_BroadcastBatchRequest__Output } from '../../cable/v1/BroadcastBatchRequest';
import type { BroadcastRequest as _cable_v1_BroadcastRequest, BroadcastRequest__Output as _cable_v1_BroadcastRequest__Output } from '../../cable/v1/BroadcastRequest';
import type { BroadcastResponse as _cable_v1_BroadcastResponse, BroadcastResponse__Output as _cable_v1_BroadcastResponse__Output } from '../../cable/v1/BroadcastResponse';
import type { ChannelsRequest as _cable_v1_ChannelsRequest, ChannelsRequest__Output as _cable_v1_ChannelsRequest__Output } from '../../cable/v1/ChannelsRequest';
import type { ChannelsResponse as _cable_v1_ChannelsResponse, ChannelsResponse__Output as _cable_v1_ChannelsResponse__Output } from '../../cable/v1/ChannelsResponse';
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
import type { InfoRequest as _cable_v1_InfoRequest, InfoRequest__Output as _cable_v1_InfoRequest__Output } from '../../cable/v1/InfoRequest';
import type { InfoResponse as _cable_v1_InfoResponse, InfoResponse__Output as _cable_v1_InfoResponse__Output } from '../../cable/v1/InfoResponse';
import type { ListChannelsRequest as _cable_v1_ListChannelsRequest, ListChannelsRequest__Output as _cable_v1_ListChannelsRequest__Output } from '../../cable/v1/ListChannelsRequest';
import type { ListChannelsResponse as _cable_v1_ListChannelsResponse, ListChannelsResponse__Output as _cable_v1_ListChannelsResponse__Output } from '../../cable/v1/ListChannelsResponse';
import type { PresenceRequest as _cable_v1_PresenceRequest, PresenceRequest__Output as _cable_v1_PresenceRequest__Output } from '../../cable/v1/PresenceRequest';
import type { PresenceResponse as _cable_v1_PresenceResponse, PresenceResponse__Output as _cable_v1_PresenceResponse__Output } from '../../cable/v1/PresenceResponse';
import type { PresenceStatsRequest as _cable_v1_PresenceStatsRequest, PresenceStatsRequest__Output as _cable_v1_PresenceStatsRequest__Output } from '../../cable/v1/PresenceStatsRequest';
import type { PresenceStatsResponse as _cable_v1_PresenceStatsResponse, PresenceStatsResponse__Output as _cable_v1_PresenceStatsResponse__Output } from '../../cable/v1/PresenceStatsResponse';
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
   * Server API: the streams with subscribers right now, across every
   * gateway, with their subscriber counts (Centrifugo's `channels`).
   * INVALID_ARGUMENT for a bad pattern.
   */
  Channels(argument: _cable_v1_ChannelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  Channels(argument: _cable_v1_ChannelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  Channels(argument: _cable_v1_ChannelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  Channels(argument: _cable_v1_ChannelsRequest, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Server API: the streams with subscribers right now, across every
   * gateway, with their subscriber counts (Centrifugo's `channels`).
   * INVALID_ARGUMENT for a bad pattern.
   */
  channels(argument: _cable_v1_ChannelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  channels(argument: _cable_v1_ChannelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  channels(argument: _cable_v1_ChannelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  channels(argument: _cable_v1_ChannelsRequest, callback: grpc.requestCallback<_cable_v1_ChannelsResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  /**
   * Server API: the gateways, the service replicas, the connections and
   * the version (Centrifugo's `info`).
   */
  Info(argument: _cable_v1_InfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  Info(argument: _cable_v1_InfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  Info(argument: _cable_v1_InfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  Info(argument: _cable_v1_InfoRequest, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Server API: the gateways, the service replicas, the connections and
   * the version (Centrifugo's `info`).
   */
  info(argument: _cable_v1_InfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  info(argument: _cable_v1_InfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  info(argument: _cable_v1_InfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  info(argument: _cable_v1_InfoRequest, callback: grpc.requestCallback<_cable_v1_InfoResponse__Output>): grpc.ClientUnaryCall;
  
  ListChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  ListChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  ListChannels(argument: _cable_v1_ListChannelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  ListChannels(argument: _cable_v1_ListChannelsRequest, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  listChannels(argument: _cable_v1_ListChannelsRequest, callback: grpc.requestCallback<_cable_v1_ListChannelsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Presence (docs/protocol.md, "Presence"): who has joined a stream's
   * presence set, on every gateway. Empty for a stream nobody joined.
   */
  Presence(argument: _cable_v1_PresenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  Presence(argument: _cable_v1_PresenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  Presence(argument: _cable_v1_PresenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  Presence(argument: _cable_v1_PresenceRequest, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Presence (docs/protocol.md, "Presence"): who has joined a stream's
   * presence set, on every gateway. Empty for a stream nobody joined.
   */
  presence(argument: _cable_v1_PresenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  presence(argument: _cable_v1_PresenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  presence(argument: _cable_v1_PresenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  presence(argument: _cable_v1_PresenceRequest, callback: grpc.requestCallback<_cable_v1_PresenceResponse__Output>): grpc.ClientUnaryCall;
  
  PresenceStats(argument: _cable_v1_PresenceStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  PresenceStats(argument: _cable_v1_PresenceStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  PresenceStats(argument: _cable_v1_PresenceStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  PresenceStats(argument: _cable_v1_PresenceStatsRequest, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  presenceStats(argument: _cable_v1_PresenceStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  presenceStats(argument: _cable_v1_PresenceStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  presenceStats(argument: _cable_v1_PresenceStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  presenceStats(argument: _cable_v1_PresenceStatsRequest, callback: grpc.requestCallback<_cable_v1_PresenceStatsResponse__Output>): grpc.ClientUnaryCall;
  
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
   * Server API: the streams with subscribers right now, across every
   * gateway, with their subscriber counts (Centrifugo's `channels`).
   * INVALID_ARGUMENT for a bad pattern.
   */
  Channels: grpc.handleUnaryCall<_cable_v1_ChannelsRequest__Output, _cable_v1_ChannelsResponse>;
  
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
  
  /**
   * Server API: the gateways, the service replicas, the connections and
   * the version (Centrifugo's `info`).
   */
  Info: grpc.handleUnaryCall<_cable_v1_InfoRequest__Output, _cable_v1_InfoResponse>;
  
  ListChannels: grpc.handleUnaryCall<_cable_v1_ListChannelsRequest__Output, _cable_v1_ListChannelsResponse>;
  
  /**
   * Presence (docs/protocol.md, "Presence"): who has joined a stream's
   * presence set, on every gateway. Empty for a stream nobody joined.
   */
  Presence: grpc.handleUnaryCall<_cable_v1_PresenceRequest__Output, _cable_v1_PresenceResponse>;
  
  PresenceStats: grpc.handleUnaryCall<_cable_v1_PresenceStatsRequest__Output, _cable_v1_PresenceStatsResponse>;
  
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
  Channels: MethodDefinition<_cable_v1_ChannelsRequest, _cable_v1_ChannelsResponse, _cable_v1_ChannelsRequest__Output, _cable_v1_ChannelsResponse__Output>
  CreateChannel: MethodDefinition<_cable_v1_CreateChannelRequest, _cable_v1_CreateChannelResponse, _cable_v1_CreateChannelRequest__Output, _cable_v1_CreateChannelResponse__Output>
  DeleteEvents: MethodDefinition<_cable_v1_DeleteEventsRequest, _cable_v1_DeleteEventsResponse, _cable_v1_DeleteEventsRequest__Output, _cable_v1_DeleteEventsResponse__Output>
  Disconnect: MethodDefinition<_cable_v1_DisconnectClientsRequest, _cable_v1_DisconnectClientsResponse, _cable_v1_DisconnectClientsRequest__Output, _cable_v1_DisconnectClientsResponse__Output>
  GetState: MethodDefinition<_cable_v1_GetStateRequest, _cable_v1_GetStateResponse, _cable_v1_GetStateRequest__Output, _cable_v1_GetStateResponse__Output>
  History: MethodDefinition<_cable_v1_HistoryRequest, _cable_v1_HistoryResponse, _cable_v1_HistoryRequest__Output, _cable_v1_HistoryResponse__Output>
  Info: MethodDefinition<_cable_v1_InfoRequest, _cable_v1_InfoResponse, _cable_v1_InfoRequest__Output, _cable_v1_InfoResponse__Output>
  ListChannels: MethodDefinition<_cable_v1_ListChannelsRequest, _cable_v1_ListChannelsResponse, _cable_v1_ListChannelsRequest__Output, _cable_v1_ListChannelsResponse__Output>
  Presence: MethodDefinition<_cable_v1_PresenceRequest, _cable_v1_PresenceResponse, _cable_v1_PresenceRequest__Output, _cable_v1_PresenceResponse__Output>
  PresenceStats: MethodDefinition<_cable_v1_PresenceStatsRequest, _cable_v1_PresenceStatsResponse, _cable_v1_PresenceStatsRequest__Output, _cable_v1_PresenceStatsResponse__Output>
  Transmit: MethodDefinition<_cable_v1_TransmitRequest, _cable_v1_TransmitResponse, _cable_v1_TransmitRequest__Output, _cable_v1_TransmitResponse__Output>
  UpdateState: MethodDefinition<_cable_v1_UpdateStateRequest, _cable_v1_UpdateStateResponse, _cable_v1_UpdateStateRequest__Output, _cable_v1_UpdateStateResponse__Output>
}
