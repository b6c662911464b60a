package cable_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"cable.dev/sdk/go/cable"
	"cable.dev/sdk/go/internal/fakepublisher"
)

// A call the server is still working on when the default timeout expires
// ends DEADLINE_EXCEEDED, counts as sent, and is not repeated.
func TestDefaultTimeout(t *testing.T) {
	srv := fakepublisher.Start(t)
	srv.Hang("Broadcast")
	p := newPublisher(t, srv.Addr, cable.WithTimeout(200*time.Millisecond), cable.WithRetries(fastRetries))
	start := time.Now()
	err := p.Broadcast(context.Background(), "s", "d")
	elapsed := time.Since(start)
	if e := wantError(t, err, codes.DeadlineExceeded, false); e.Retryable() {
		t.Errorf("a sent call that timed out is retryable")
	}
	if elapsed < 150*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("timed out after %v, want about 200ms", elapsed)
	}
	if n := len(srv.Calls("Broadcast")); n != 1 {
		t.Errorf("server saw %d broadcasts, want 1", n)
	}
}

// The context's deadline wins over the default timeout.
func TestContextDeadlineOverridesDefault(t *testing.T) {
	srv := fakepublisher.Start(t)
	srv.Hang("GetState")
	p := newPublisher(t, srv.Addr, cable.WithTimeout(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.GetState(ctx, "c")
	wantError(t, err, codes.DeadlineExceeded, false)
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("took %v; the context allowed 200ms", elapsed)
	}
}

// A deadline that expires while still connecting: never sent, retryable.
func TestDeadlineBeforeSending(t *testing.T) {
	hangingDial := func(ctx context.Context, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := newPublisher(t, "127.0.0.1:1", cable.WithTimeout(200*time.Millisecond), cable.WithDialer(hangingDial))
	err := p.Broadcast(context.Background(), "s", "d")
	if e := wantError(t, err, codes.DeadlineExceeded, true); !e.Retryable() {
		t.Errorf("%v: a call that timed out before it was sent is not retryable", err)
	}
}

func TestCallsAfterCloseFail(t *testing.T) {
	srv := fakepublisher.Start(t)
	p, err := cable.NewPublisher(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	err = p.Broadcast(context.Background(), "s", "d")
	if e := wantError(t, err, codes.Canceled, true); e.Retryable() {
		t.Errorf("%v is retryable", err)
	}
}
