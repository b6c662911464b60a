package sdkgo

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
)

// cliResult is how a cable-publish run ended.
type cliResult struct {
	status         int
	stdout, stderr string
}

// runCLI runs $CABLE_PUBLISH with args, bounded by `wait`.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	path := requireEnv(t, "CABLE_PUBLISH", "path to a cable-publish binary built from sdk/go/cmd/cable-publish")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(cmd.Environ(), "CABLE_API_KEY=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("cable-publish %q did not finish within %v", args, wait)
	}
	r := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.status = exit.ExitCode()
	case err != nil:
		t.Fatalf("run cable-publish: %v", err)
	}
	return r
}

// wantFailure checks a non-zero exit with exactly one line on stderr that
// contains want.
func (r cliResult) wantFailure(t *testing.T, want string) {
	t.Helper()
	if r.status == 0 {
		t.Fatalf("exit status 0, want a failure; stdout %q", r.stdout)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") || !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q: want one line containing %q", r.stderr, want)
	}
}

func TestCLIBroadcastReachesSubscriber(t *testing.T) {
	srv := startServer(t)
	sub := connect(t, srv.HTTP)
	ident := sub.subscribeChat("go-cli")
	r := runCLI(t, "--target", srv.GRPC, "--stream", "chat:go-cli", "--data", `{"message":"from the cli"}`, "--timeout", "5s")
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("cable-publish: status %d, stderr %q", r.status, r.stderr)
	}
	sub.wantMessage(ident, `{"message":"from the cli"}`)
}

func TestCLIEmptyStreamFails(t *testing.T) {
	srv := startServer(t)
	runCLI(t, "--target", srv.GRPC, "--stream", "", "--data", "x").wantFailure(t, "INVALID_ARGUMENT")
}

func TestCLIUnreachableFails(t *testing.T) {
	// A port nothing listens on: bound, then released.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	runCLI(t, "--target", addr, "--stream", "chat:x", "--data", "x", "--timeout", "3s").wantFailure(t, "UNAVAILABLE")
}

func TestCLIUsageErrorFails(t *testing.T) {
	r := runCLI(t, "--stream", "chat:x", "--data", "x")
	r.wantFailure(t, "missing --target")
	if r.status != 2 {
		t.Errorf("exit status %d, want 2 for a usage error", r.status)
	}
}
