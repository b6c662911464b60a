// cable-client/rxjs: stateful channels with RxJS 7 observables (rxjs is a
// peer dependency). Each observable shows the current value to a new
// subscriber at once, as a BehaviorSubject does (events have none), and
// never errors.
import type { Observable } from "rxjs";
import { CableState as BaseCableState, CableStateChannel as BaseCableStateChannel } from "./cable-state.js";
import type { EventPatch } from "./cable-state.js";

export type { EventPatch };
export { applyPatch, patchState } from "./json-patch.js";

/** A stateful channel whose events are also observables; they complete when the channel is left. */
export declare class CableStateChannel<S = unknown, E = unknown> extends BaseCableStateChannel<S, E> {
  /** A copy of the current state (if any), then a copy at every join, rejoin and resync. */
  readonly initialStates$: Observable<S>;
  /** The current state (if any), then every new state. */
  readonly state$: Observable<S>;
  /** Events that arrive after subscribing: the backlog, then live ones. */
  readonly events$: Observable<E>;
  /** Event/patch pairs that arrive after subscribing (see EventPatch). */
  readonly eventsPatches$: Observable<EventPatch<E>>;
}

/** CableState whose channels have observables. */
export declare class CableState extends BaseCableState {
  /** The connection state now, then every change; completes when the client is closed. */
  readonly connectionStatus$: Observable<boolean>;
  joinChannel<S = unknown, E = unknown>(name: string): CableStateChannel<S, E>;
}

export default CableState;
