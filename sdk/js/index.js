// cable-client: the JavaScript client for Cable, for browsers and Node >= 18
// (native ES modules with relative imports only, so a page can load them
// unbundled; the gateway serves them at /cable-client/).
//
//   Action Cable channels, like @rails/actioncable:
//     createConsumer(url).subscriptions.create({channel, ...params}, callbacks)
//   Stateful channels (BoardStreams' API):
//     new CableState(url).joinChannel("board:demo")
//   Both on one socket: new CableState(createConsumer(url)).
// RxJS observables for stateful channels are in "cable-client/rxjs".

export { createConsumer, Consumer, Subscription, Subscriptions } from "./consumer.js";
export { CableState, CableStateChannel } from "./cable-state.js";
export { applyPatch, patchState } from "./json-patch.js";
export { Connection, PROTOCOL } from "./connection.js";
