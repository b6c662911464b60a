// cable-client/rxjs: stateful channels as RxJS 7 observables, as in the
// BoardStreams client (rxjs is a peer dependency).
//
//   import { CableState } from "cable-client/rxjs";
//   const cable = new CableState("/cable");
//   cable.connectionStatus$.subscribe((up) => ...);
//   const board = cable.joinChannel("board:demo");
//   board.state$.subscribe((state) => render(state));
//   board.eventsPatches$.subscribe(({ event, patch }) => ...);
//
// Each observable shows the client's current value to a new subscriber at
// once, as a BehaviorSubject does, then every change:
//   connectionStatus$  the connection state (false until the welcome), then
//                      each change; completes when the client is closed.
//   state$             the channel's current state, if it has one, then each
//                      new state.
//   initialStates$     a copy of the current state, if there is one, then a
//                      copy at every (re)join and resync. A subscriber that
//                      patches its copy with eventsPatches$ stays in step.
//   events$, eventsPatches$
//                      events have no current value: each subscriber gets
//                      the events that come after it subscribed.
// The channel observables complete when the channel is left (leave(), or
// the client is closed); none of them errors.

import { Observable } from "rxjs";
import { CableState as BaseCableState, CableStateChannel as BaseChannel } from "./cable-state.js";
import { cloneJson } from "./json-patch.js";

// An observable of `emitter`'s `event`, starting with current() when that
// returns {value}, completing on `endEvent` or at once when ended() holds.
function fromEmitter(emitter, { event, current, ended, endEvent, copy }) {
  return new Observable((subscriber) => {
    if (ended()) {
      subscriber.complete();
      return undefined;
    }
    const now = current();
    if (now) subscriber.next(now.value);
    const onValue = emitter.on(event, (value) => subscriber.next(copy ? cloneJson(value) : value));
    const onEnd = emitter.on(endEvent, () => subscriber.complete());
    return () => {
      emitter.off(event, onValue);
      emitter.off(endEvent, onEnd);
    };
  });
}

// A stateful channel with observables of its events.
export class CableStateChannel extends BaseChannel {
  constructor(client, name, identifier) {
    super(client, name, identifier);
    const channel = (event, current, copy) =>
      fromEmitter(this, { event, current, copy, ended: () => this.left, endEvent: "left" });
    const currentState = (copy) => () =>
      this._hadState ? { value: copy ? cloneJson(this.state) : this.state } : null;
    this.initialStates$ = channel("initialState", currentState(true), true);
    this.state$ = channel("state", currentState(false), false);
    this.events$ = channel("event", () => null, false);
    this.eventsPatches$ = channel("eventPatch", () => null, false);
  }
}

// CableState whose channels have observables, plus connectionStatus$.
export class CableState extends BaseCableState {
  constructor(target, options) {
    super(target, options);
    this.connectionStatus$ = fromEmitter(this, {
      event: "connectionStatus",
      current: () => ({ value: this.connected }),
      ended: () => this._ended,
      endEvent: "close",
      copy: false,
    });
  }

  _newChannel(name, identifier) {
    return new CableStateChannel(this, name, identifier);
  }
}

export { applyPatch, patchState } from "./json-patch.js";
export default CableState;
