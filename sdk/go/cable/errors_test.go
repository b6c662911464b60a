package cable_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cable.dev/sdk/go/cable"
	"cable.dev/sdk/go/internal/fakepublisher"
)

func TestServerErrorIsTyped(t *testing.T) {
	srv := fakepublisher.Start(t)
	srv.FailNext("Broadcast", status.Error(codes.InvalidArgument, "stream must not be empty"))
	p := newPublisher(t, srv.Addr)
	err := p.Broadcast(context.Background(), "", "d")
	e := wantError(t, err, codes.InvalidArgument, false)
	if e.Method != "Broadcast" || e.Message != "stream must not be empty" {
		t.Errorf("got %+v", e)
	}
	if want := "cable: Broadcast: INVALID_ARGUMENT: stream must not be empty"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("status.Code(err) = %v", status.Code(err))
	}
	if cable.IsRetryable(err) {
		t.Errorf("INVALID_ARGUMENT is retryable")
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		code    codes.Code
		notSent bool
		want    bool
	}{
		{codes.Unavailable, false, true},
		{codes.Unavailable, true, true},
		{codes.ResourceExhausted, false, true},
		{codes.DeadlineExceeded, true, true},
		{codes.DeadlineExceeded, false, false},
		{codes.InvalidArgument, true, false},
		{codes.FailedPrecondition, false, false},
		{codes.Unauthenticated, false, false},
		{codes.Canceled, true, false},
	} {
		e := &cable.Error{Method: "Broadcast", Code: tc.code, NotSent: tc.notSent}
		if got := e.Retryable(); got != tc.want {
			t.Errorf("%v NotSent=%v: Retryable() = %v, want %v", tc.code, tc.notSent, got, tc.want)
		}
		if got := cable.IsRetryable(fmt.Errorf("wrapped: %w", e)); got != tc.want {
			t.Errorf("%v NotSent=%v: IsRetryable(wrapped) = %v, want %v", tc.code, tc.notSent, got, tc.want)
		}
	}
	if cable.IsRetryable(errors.New("plain")) || cable.IsRetryable(nil) {
		t.Errorf("IsRetryable of a non-cable error")
	}
}
