package cable_test

import (
	"path/filepath"
	"testing"
	"time"

	"cable.dev/sdk/go/cable"
)

func TestInvalidOptions(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for name, tc := range map[string]struct {
		target string
		opts   []cable.Option
	}{
		"empty target":      {"", nil},
		"zero timeout":      {"h:1", []cable.Option{cable.WithTimeout(0)}},
		"negative attempts": {"h:1", []cable.Option{cable.WithRetries(cable.RetryPolicy{MaxAttempts: -1})}},
		"multiplier < 1":    {"h:1", []cable.Option{cable.WithRetries(cable.RetryPolicy{Multiplier: 0.5})}},
		"max < initial": {"h:1", []cable.Option{cable.WithRetries(
			cable.RetryPolicy{InitialBackoff: time.Second, MaxBackoff: time.Millisecond})}},
		"missing CA file":   {"h:1", []cable.Option{cable.WithRootCAFile(missing)}},
		"cert without key":  {"h:1", []cable.Option{cable.WithClientCertFiles(missing, "")}},
		"missing cert file": {"h:1", []cable.Option{cable.WithClientCertFiles(missing, missing)}},
	} {
		if p, err := cable.NewPublisher(tc.target, tc.opts...); err == nil {
			p.Close()
			t.Errorf("%s: NewPublisher succeeded", name)
		}
	}
}

func TestPartialRetryPolicyTakesDefaults(t *testing.T) {
	p, err := cable.NewPublisher("h:1", cable.WithRetries(cable.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatalf("RetryPolicy{MaxAttempts: 1}: %v", err)
	}
	p.Close()
	p, err = cable.NewPublisher("h:1", cable.WithRetries(cable.RetryPolicy{InitialBackoff: 5 * time.Second}))
	if err != nil {
		t.Fatalf("RetryPolicy{InitialBackoff: 5s}: %v", err)
	}
	p.Close()
}
