// Package cable publishes to a Cable server through its gRPC Publisher API
// (cable.v1.Publisher, proto/cable/v1/publisher.proto): broadcasts to the
// streams WebSocket clients subscribe to, messages to one connection,
// disconnects, and stateful channels.
//
//	p, err := cable.NewPublisher("127.0.0.1:50051", cable.WithAPIKey(key))
//	if err != nil { ... }
//	defer p.Close()
//	err = p.Broadcast(ctx, "chat:lobby", `{"message":"hi"}`)
//
// # Deadlines
//
// Every call is bounded by the deadline of its context or, when the context
// has none, by the Publisher's default timeout (5 s, WithTimeout). The bound
// covers connecting and retries.
//
// # Errors and retries
//
// A failed call returns an *Error with the gRPC status code. Its
// Retryable method says whether the same call may succeed later:
// UNAVAILABLE, RESOURCE_EXHAUSTED, and DEADLINE_EXCEEDED when the request was
// never sent. Error.NotSent says the request certainly never reached the
// server (no connection could be made, or the deadline expired first).
//
// The Publisher retries by itself (WithRetries) only where that cannot
// publish twice: any call that failed UNAVAILABLE without being sent is
// attempted again, each attempt waiting for the next connection attempt;
// reads (GetState, ListChannels) are also repeated after UNAVAILABLE or
// RESOURCE_EXHAUSTED answers. A broadcast that failed after it was sent may
// have been delivered, so it is never repeated automatically: repeat it
// yourself only if a duplicate is acceptable.
package cable
