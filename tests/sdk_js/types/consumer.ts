// An application written against cable-client's types, both entry points.
// `tsc --noEmit` must accept it (tsconfig.json: Node's ESM resolution;
// tsconfig.bundler.json: a bundler's); every @ts-expect-error line must be
// an error, which shows the types are not `any`.
import {
  CableState,
  createConsumer,
  patchState,
  type CableStateChannel,
  type EventPatch,
  type JsonPatchOperation,
  type RequestError,
  type Subscription,
  type WebSocketLike,
} from "cable-client";
import { CableState as RxCableState, type CableStateChannel as RxChannel } from "cable-client/rxjs";
import { map, type Observable, type Subscription as RxSubscription } from "rxjs";

interface Board {
  count: number;
  cells: (string | null)[];
  present: Record<string, Record<string, number>>;
}
type BoardEvent = { set: number; value: unknown; by: string } | { increment: number; by: string };
interface ChatMessage {
  message: string;
  user?: string;
}

// ---- Action Cable channels ----

const consumer = createConsumer("ws://localhost:8080/cable?user=ann");
const chat = consumer.subscriptions.create(
  { channel: "ChatChannel", room: "lobby" },
  {
    lines: [] as string[],
    connected({ reconnected }) {
      const sent: boolean = this.perform("speak", { message: reconnected ? "back" : "hi" });
      void sent;
    },
    disconnected({ willAttemptReconnect, reason }) {
      if (!willAttemptReconnect) console.log(reason ?? "closed");
    },
    received(data: ChatMessage) {
      this.lines.push(`${data.user ?? "anonymous"}: ${data.message}`);
    },
  },
);
const lines: string[] = chat.lines;
const identifier: string = chat.identifier;
const plain: Subscription = consumer.subscriptions.create("ChatChannel");
plain.unsubscribe();
consumer.disconnect();
createConsumer(() => `/cable?token=${Date.now()}`, { backoffSeconds: [0, 2], staleMs: 6000 });
createConsumer(); // the page's <meta name="action-cable-url">, else /cable
// @ts-expect-error perform needs an action name
chat.perform();
// @ts-expect-error the params need a channel
consumer.subscriptions.create({ room: "lobby" });
// @ts-expect-error connected() gets {reconnected}, not a string
consumer.subscriptions.create("ChatChannel", { connected(info: string) {} });

// ---- Stateful channels, sharing the consumer's socket ----

const cable = new CableState(consumer);
const board: CableStateChannel<Board, BoardEvent> = cable.joinChannel<Board, BoardEvent>("board:demo");
let mine: Board | undefined;
board.on("initialState", (state) => {
  mine = state;
});
board.on("eventPatch", ({ event, patch }: EventPatch<BoardEvent>) => {
  if (event !== null && "set" in event) console.log(`cell ${event.set} set by ${event.by}`);
  if (mine && patch) patchState(mine, patch);
});
const handler = board.on("state", (state) => console.log(state.count, state.cells.length));
board.off("state", handler);
board.doAction("set", { cell: 3, value: "X" });
board
  .doRequest<number>("take", { amount: 5 })
  .then((count: number) => console.log(count))
  .catch((e: RequestError) => console.log(e.message, e.error));
const revision: number | null = board.revision;
const ops: JsonPatchOperation[] = [{ op: "replace", path: "/count", value: 1 }];
const patched: Board = patchState({ count: 0, cells: [], present: {} }, ops);
cable.on("connectionStatus", (up: boolean) => console.log(up));
CableState.applyPatch<number>({ a: 1 }, [{ op: "replace", path: "", value: 7 }]);
// @ts-expect-error no such event
board.on("nope", () => {});
// @ts-expect-error the state is a Board
board.on("state", (state: string) => {});
// @ts-expect-error a patch operation needs a known op
patchState({}, [{ op: "merge", path: "/a" }]);

// Any WebSocket class with the browser's shape will do.
class FakeSocket implements WebSocketLike {
  readyState = 0;
  protocol = "";
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  constructor(readonly url: string, readonly protocols?: string | string[]) {}
  send(data: string): void {
    void data;
  }
  close(): void {}
}
new CableState("ws://localhost:8080/cable", { WebSocket: FakeSocket });
new CableState("/cable", { WebSocket: WebSocket }); // the DOM's WebSocket

// ---- RxJS ----

const rx = new RxCableState("/cable");
const status$: Observable<boolean> = rx.connectionStatus$;
const rxBoard: RxChannel<Board, BoardEvent> = rx.joinChannel<Board, BoardEvent>("board:demo");
const counts$: Observable<number> = rxBoard.state$.pipe(map((state) => state.count));
const sub: RxSubscription = rxBoard.eventsPatches$.subscribe({
  next: ({ event, patch }) => console.log(event, patch?.length),
  complete: () => console.log("left"),
});
const initial$: Observable<Board> = rxBoard.initialStates$;
const events$: Observable<BoardEvent> = rxBoard.events$;
rxBoard.leave();
sub.unsubscribe();
// @ts-expect-error state$ carries a Board
const wrong$: Observable<string> = rxBoard.state$;

export { board, counts$, events$, identifier, initial$, lines, patched, revision, status$, wrong$ };
