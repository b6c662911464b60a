package cable_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cable.dev/sdk/go/cable"
	"cable.dev/sdk/go/internal/fakepublisher"
)

// failingDialer refuses the first `failures` connections (all if negative),
// then connects to addr; it counts dials.
func failingDialer(addr string, failures int32, dials *atomic.Int32) func(context.Context, string) (net.Conn, error) {
	return func(ctx context.Context, _ string) (net.Conn, error) {
		if n := dials.Add(1); failures < 0 || n <= failures {
			return nil, errors.New("refused by the test")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// A broadcast that could not connect never reached the server: it is
// retried, and published exactly once.
func TestConnectFailureIsRetriedAndPublishedOnce(t *testing.T) {
	srv := fakepublisher.Start(t)
	var dials atomic.Int32
	p := newPublisher(t, srv.Addr, cable.WithRetries(fastRetries),
		cable.WithDialer(failingDialer(srv.Addr, 2, &dials)))
	if err := p.Broadcast(context.Background(), "chat:r", "once"); err != nil {
		t.Fatalf("Broadcast after two refused connections: %v", err)
	}
	if n := len(srv.Calls("Broadcast")); n != 1 {
		t.Errorf("server saw %d broadcasts, want 1", n)
	}
	if n := dials.Load(); n < 3 {
		t.Errorf("%d dials, want at least 3", n)
	}
}

func TestConnectFailureWithoutRetries(t *testing.T) {
	srv := fakepublisher.Start(t)
	var dials atomic.Int32
	p := newPublisher(t, srv.Addr, cable.WithRetries(cable.RetryPolicy{MaxAttempts: 1}),
		cable.WithDialer(failingDialer(srv.Addr, 1, &dials)))
	err := p.Broadcast(context.Background(), "chat:r", "x")
	e := wantError(t, err, codes.Unavailable, true)
	if !e.Retryable() || !cable.IsRetryable(err) {
		t.Errorf("%v: not retryable", err)
	}
	if n := len(srv.Calls("Broadcast")); n != 0 {
		t.Errorf("server saw %d broadcasts, want 0", n)
	}
}

func TestUnreachableGivesUpAfterMaxAttempts(t *testing.T) {
	var dials atomic.Int32
	p := newPublisher(t, "cable.invalid:1", cable.WithTimeout(10*time.Second),
		cable.WithRetries(cable.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond}),
		cable.WithDialer(failingDialer("", -1, &dials)))
	start := time.Now()
	err := p.Broadcast(context.Background(), "s", "d")
	e := wantError(t, err, codes.Unavailable, true)
	if !strings.Contains(e.Message, "refused by the test") {
		t.Errorf("message %q does not say why", e.Message)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("gave up after %v; three attempts with 10 ms backoff should not take that long", elapsed)
	}
}

// Once the server has answered, a call that changes something is not
// repeated, whatever the code: it may have taken effect.
func TestAnsweredWritesAreNotRepeated(t *testing.T) {
	for _, code := range []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.Internal} {
		t.Run(code.String(), func(t *testing.T) {
			srv := fakepublisher.Start(t)
			srv.FailNext("Broadcast", status.Error(code, "no"))
			srv.FailNext("UpdateState", status.Error(code, "no"))
			p := newPublisher(t, srv.Addr, cable.WithRetries(fastRetries))
			err := p.Broadcast(context.Background(), "s", "d")
			e := wantError(t, err, code, false)
			if want := code != codes.Internal; e.Retryable() != want {
				t.Errorf("Retryable() = %v, want %v", e.Retryable(), want)
			}
			_, err = p.UpdateState(context.Background(), cable.StateUpdate{Name: "c"})
			wantError(t, err, code, false)
			for _, m := range []string{"Broadcast", "UpdateState"} {
				if n := len(srv.Calls(m)); n != 1 {
					t.Errorf("%s sent %d times, want 1", m, n)
				}
			}
		})
	}
}

// Reads are repeated after UNAVAILABLE and RESOURCE_EXHAUSTED answers.
func TestReadsAreRepeated(t *testing.T) {
	srv := fakepublisher.Start(t)
	srv.FailNext("GetState", status.Error(codes.Unavailable, "busy"), status.Error(codes.ResourceExhausted, "later"))
	srv.FailNext("ListChannels", status.Error(codes.Unavailable, "1"), status.Error(codes.Unavailable, "2"),
		status.Error(codes.Unavailable, "3"))
	p := newPublisher(t, srv.Addr, cable.WithAPIKey("k"),
		cable.WithRetries(cable.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond}))

	if _, err := p.GetState(context.Background(), "c"); err != nil {
		t.Fatalf("GetState after two retryable answers: %v", err)
	}
	calls := srv.Calls("GetState")
	if len(calls) != 3 {
		t.Fatalf("GetState sent %d times, want 3", len(calls))
	}
	for i, c := range calls {
		if got := c.Metadata.Get("authorization"); len(got) != 1 || got[0] != "Bearer k" {
			t.Errorf("attempt %d: authorization %q", i+1, got)
		}
	}

	_, err := p.ListChannels(context.Background())
	if e := wantError(t, err, codes.Unavailable, false); e.Message != "3" {
		t.Errorf("final error %v, want the third answer", err)
	}
	if n := len(srv.Calls("ListChannels")); n != 3 {
		t.Errorf("ListChannels sent %d times, want MaxAttempts = 3", n)
	}
}

func TestReadsAreNotRepeatedAfterOtherCodes(t *testing.T) {
	srv := fakepublisher.Start(t)
	srv.FailNext("GetState", status.Error(codes.NotFound, "no such channel"))
	p := newPublisher(t, srv.Addr, cable.WithRetries(fastRetries))
	_, err := p.GetState(context.Background(), "c")
	if e := wantError(t, err, codes.NotFound, false); e.Retryable() {
		t.Errorf("NOT_FOUND is retryable")
	}
	if n := len(srv.Calls("GetState")); n != 1 {
		t.Errorf("GetState sent %d times, want 1", n)
	}
}
