package cable

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

func TestBackoffGrowsToMax(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 9, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Multiplier: 3}
	want := []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		if got := p.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestShouldRetry(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3}
	for _, tc := range []struct {
		attempt int
		kind    callKind
		err     Error
		want    bool
	}{
		{1, changes, Error{Code: codes.Unavailable, NotSent: true}, true},
		{2, changes, Error{Code: codes.Unavailable, NotSent: true}, true},
		{3, changes, Error{Code: codes.Unavailable, NotSent: true}, false},
		{1, changes, Error{Code: codes.Unavailable}, false},
		{1, changes, Error{Code: codes.ResourceExhausted}, false},
		{1, changes, Error{Code: codes.DeadlineExceeded, NotSent: true}, false},
		{1, reads, Error{Code: codes.Unavailable}, true},
		{1, reads, Error{Code: codes.ResourceExhausted}, true},
		{1, reads, Error{Code: codes.DeadlineExceeded}, false},
		{3, reads, Error{Code: codes.Unavailable}, false},
	} {
		if got := p.shouldRetry(tc.attempt, tc.kind, &tc.err); got != tc.want {
			t.Errorf("shouldRetry(%d, %v, %+v) = %v, want %v", tc.attempt, tc.kind, tc.err, got, tc.want)
		}
	}
}

func TestCodeName(t *testing.T) {
	for code, want := range map[codes.Code]string{
		codes.OK:               "OK",
		codes.InvalidArgument:  "INVALID_ARGUMENT",
		codes.Unavailable:      "UNAVAILABLE",
		codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
		codes.Code(99):         "CODE(99)",
	} {
		if got := codeName(code); got != want {
			t.Errorf("codeName(%d) = %q, want %q", code, got, want)
		}
	}
}
