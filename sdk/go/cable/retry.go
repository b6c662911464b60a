package cable

import (
	"errors"
	"time"

	"google.golang.org/grpc/codes"
)

// RetryPolicy says how often, and after how long, a call is attempted again
// within its deadline. Which failures are retried is fixed (see the package
// documentation): only those that cannot publish twice. Zero fields take
// DefaultRetryPolicy's values.
type RetryPolicy struct {
	// MaxAttempts per call, the first included; 1 turns retries off.
	MaxAttempts int
	// InitialBackoff is the longest wait before the second attempt; each
	// later wait may be Multiplier times longer, up to MaxBackoff. A wait
	// ends early once a connection is ready. The same delays pace gRPC's
	// reconnection attempts.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Multiplier     float64
}

// DefaultRetryPolicy is what a Publisher uses without WithRetries.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    3,
	InitialBackoff: 200 * time.Millisecond,
	MaxBackoff:     2 * time.Second,
	Multiplier:     2,
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialBackoff == 0 {
		p.InitialBackoff = d.InitialBackoff
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = d.MaxBackoff
		if p.MaxBackoff < p.InitialBackoff {
			p.MaxBackoff = p.InitialBackoff
		}
	}
	if p.Multiplier == 0 {
		p.Multiplier = d.Multiplier
	}
	return p
}

func (p RetryPolicy) validate() error {
	if p.MaxAttempts < 1 {
		return errors.New("cable: RetryPolicy.MaxAttempts must be at least 1")
	}
	if p.InitialBackoff <= 0 || p.MaxBackoff < p.InitialBackoff {
		return errors.New("cable: RetryPolicy needs 0 < InitialBackoff <= MaxBackoff")
	}
	if p.Multiplier < 1 {
		return errors.New("cable: RetryPolicy.Multiplier must be at least 1")
	}
	return nil
}

// backoff is the longest wait after failed attempt number `attempt` (1-based).
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := float64(p.InitialBackoff)
	for i := 1; i < attempt && d < float64(p.MaxBackoff); i++ {
		d *= p.Multiplier
	}
	if d > float64(p.MaxBackoff) {
		return p.MaxBackoff
	}
	return time.Duration(d)
}

// callKind separates calls that change something from reads, which may be
// repeated even after the server saw them.
type callKind int

const (
	changes callKind = iota
	reads
)

// shouldRetry decides whether a call that failed with err on attempt
// `attempt` is attempted again. Calls that change something are repeated
// only when the request certainly never reached the server.
func (p RetryPolicy) shouldRetry(attempt int, kind callKind, err *Error) bool {
	if attempt >= p.MaxAttempts {
		return false
	}
	if err.NotSent && err.Code == codes.Unavailable {
		return true
	}
	return kind == reads && (err.Code == codes.Unavailable || err.Code == codes.ResourceExhausted)
}
