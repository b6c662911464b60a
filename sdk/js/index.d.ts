// cable-client: Action Cable channels (createConsumer) and Cable's stateful
// channels (CableState). Observables: "cable-client/rxjs".
export { createConsumer, Consumer, Subscription, Subscriptions } from "./consumer.js";
export type {
  ChannelNameWithParams,
  ConnectedInfo,
  DisconnectedInfo,
  SubscriptionCallbacks,
} from "./consumer.js";
export { CableState, CableStateChannel } from "./cable-state.js";
export type { CableStateChannelEvents, CableStateEvents, EventPatch, RequestError } from "./cable-state.js";
export { applyPatch, patchState } from "./json-patch.js";
export type { JsonPatch, JsonPatchOperation } from "./json-patch.js";
export { Connection, PROTOCOL } from "./connection.js";
export type {
  ConnectionListener,
  ConnectionOptions,
  DisconnectInfo,
  LostInfo,
  UrlSource,
  WebSocketConstructor,
  WebSocketLike,
} from "./connection.js";
