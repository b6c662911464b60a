package cable_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"cable.dev/sdk/go/cable"
)

// fastRetries keeps retry tests quick.
var fastRetries = cable.RetryPolicy{
	MaxAttempts:    10,
	InitialBackoff: 10 * time.Millisecond,
	MaxBackoff:     50 * time.Millisecond,
	Multiplier:     2,
}

func newPublisher(t *testing.T, target string, opts ...cable.Option) *cable.Publisher {
	t.Helper()
	p, err := cable.NewPublisher(target, opts...)
	if err != nil {
		t.Fatalf("NewPublisher(%q): %v", target, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// wantError checks that err is a *cable.Error with the given code and
// NotSent, and returns it.
func wantError(t *testing.T, err error, code codes.Code, notSent bool) *cable.Error {
	t.Helper()
	var e *cable.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *cable.Error", err, err)
	}
	if e.Code != code || e.NotSent != notSent {
		t.Fatalf("error %v: got code %v NotSent %v, want %v NotSent %v", err, e.Code, e.NotSent, code, notSent)
	}
	return e
}
