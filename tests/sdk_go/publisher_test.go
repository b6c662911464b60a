package sdkgo

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"

	"cable.dev/sdk/go/cable"
)

func newPublisher(t *testing.T, srv *cableServer) *cable.Publisher {
	t.Helper()
	p, err := cable.NewPublisher(srv.GRPC, cable.WithTimeout(wait))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestBroadcastReachesSubscriber(t *testing.T) {
	srv := startServer(t)
	sub := connect(t, srv.HTTP)
	ident := sub.subscribeChat("go-lib")
	p := newPublisher(t, srv)
	ctx := context.Background()
	if err := p.Broadcast(ctx, "chat:go-lib", `{"message":"from go"}`); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	if err := p.Broadcast(ctx, "chat:go-lib", "plain text"); err != nil {
		t.Fatalf("Broadcast: %v", err)
	}
	sub.wantMessage(ident, `{"message":"from go"}`)
	sub.wantMessage(ident, `"plain text"`)
}

func TestBroadcastBatchKeepsOrder(t *testing.T) {
	srv := startServer(t)
	sub := connect(t, srv.HTTP)
	ident := sub.subscribeChat("go-batch")
	p := newPublisher(t, srv)
	n, err := p.BroadcastBatch(context.Background(), []cable.Message{
		{Stream: "chat:go-batch", Data: `{"n":1}`},
		{Stream: "chat:elsewhere", Data: `{"n":0}`},
		{Stream: "chat:go-batch", Data: `{"n":2}`},
	})
	if err != nil || n != 3 {
		t.Fatalf("BroadcastBatch = %d, %v; want 3 accepted", n, err)
	}
	sub.wantMessage(ident, `{"n":1}`)
	sub.wantMessage(ident, `{"n":2}`)
}

func TestTransmitReachesOneConnection(t *testing.T) {
	srv := startServer(t)
	sub := connect(t, srv.HTTP)
	ident := sub.subscribeChat("go-transmit")
	if sub.SID == "" {
		t.Fatalf("welcome without a sid: %q", sub.frames)
	}
	p := newPublisher(t, srv)
	if err := p.Transmit(context.Background(), sub.SID, ident, `{"to":"you"}`); err != nil {
		t.Fatalf("Transmit: %v", err)
	}
	sub.wantMessage(ident, `{"to":"you"}`)
}

func TestEmptyStreamIsInvalidArgument(t *testing.T) {
	srv := startServer(t)
	p := newPublisher(t, srv)
	err := p.Broadcast(context.Background(), "", "x")
	var e *cable.Error
	if !errors.As(err, &e) || e.Code != codes.InvalidArgument || e.NotSent || e.Retryable() {
		t.Fatalf("Broadcast to an empty stream: %v, want a sent, non-retryable INVALID_ARGUMENT", err)
	}
}
