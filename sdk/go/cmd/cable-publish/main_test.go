package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"cable.dev/sdk/go/cablev1"
	"cable.dev/sdk/go/internal/fakepublisher"
	"cable.dev/sdk/go/internal/testcerts"
)

// runCLI runs the command and checks its status and that stderr is empty on
// success and exactly one line otherwise.
func runCLI(t *testing.T, wantStatus int, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	got := run(args, &out, &errOut)
	if got != wantStatus {
		t.Fatalf("cable-publish %q: status %d, want %d; stderr %q", args, got, wantStatus, errOut.String())
	}
	lines := strings.Count(errOut.String(), "\n")
	if (wantStatus == 0 && errOut.Len() != 0) || (wantStatus != 0 && (lines != 1 || !strings.HasSuffix(errOut.String(), "\n"))) {
		t.Errorf("cable-publish %q: stderr %q, want one line on failure and nothing on success", args, errOut.String())
	}
	return out.String(), errOut.String()
}

func TestPublishes(t *testing.T) {
	srv := fakepublisher.Start(t)
	t.Setenv("CABLE_API_KEY", "")
	out, _ := runCLI(t, 0, "--target", srv.Addr, "--stream", "chat:1", "--data", `{"a":1}`, "--api-key", "k1", "--timeout", "2s")
	if out != "accepted\n" {
		t.Errorf("stdout %q", out)
	}
	calls := srv.Calls("Broadcast")
	if len(calls) != 1 {
		t.Fatalf("%d broadcasts", len(calls))
	}
	req := calls[0].Request.(*cablev1.BroadcastRequest)
	if req.GetStream() != "chat:1" || req.GetData() != `{"a":1}` {
		t.Errorf("request %v", req)
	}
	if got := calls[0].Metadata.Get("authorization"); len(got) != 1 || got[0] != "Bearer k1" {
		t.Errorf("authorization %q", got)
	}
}

func TestAPIKeyFromEnvironment(t *testing.T) {
	srv := fakepublisher.Start(t)
	t.Setenv("CABLE_API_KEY", "from-env")
	runCLI(t, 0, "--target", srv.Addr, "--stream", "s", "--data", "d")
	if got := srv.Calls("Broadcast")[0].Metadata.Get("authorization"); len(got) != 1 || got[0] != "Bearer from-env" {
		t.Errorf("authorization %q", got)
	}
}

func TestMutualTLS(t *testing.T) {
	certs := testcerts.Write(t)
	srv := fakepublisher.Start(t, grpc.Creds(credentials.NewTLS(certs.ServerConfig(t))))
	runCLI(t, 0, "--target", srv.Addr, "--stream", "s", "--data", "d",
		"--ca", certs.CA, "--cert", certs.ClientCert, "--key", certs.ClientKey)
}

func TestServerRejection(t *testing.T) {
	srv := fakepublisher.Start(t)
	srv.FailNext("Broadcast", status.Error(codes.Unauthenticated, "bad key\nsecond line"))
	_, stderr := runCLI(t, 1, "--target", srv.Addr, "--stream", "s", "--data", "d")
	if !strings.HasPrefix(stderr, "cable-publish: ") || !strings.Contains(stderr, "UNAUTHENTICATED: bad key second line") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, args := range [][]string{
		{},
		{"--target", "h:1", "--stream", "s"},
		{"--target", "h:1", "--stream", "s", "--data", "d", "extra"},
		{"--bogus"},
		{"--target", "h:1", "--stream", "s", "--data", "d", "--timeout", "soon"},
		{"--target", "h:1", "--stream", "s", "--data", "d", "--ca", missing},
		{"--target", "h:1", "--stream", "s", "--data", "d", "--cert", missing},
		{"--target", "", "--stream", "s", "--data", "d"},
	} {
		runCLI(t, 2, args...)
	}
}

func TestHelp(t *testing.T) {
	out, _ := runCLI(t, 0, "--help")
	if !strings.Contains(out, "--target HOST:PORT") {
		t.Errorf("help: %q", out)
	}
}
