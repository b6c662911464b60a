package sdkgo

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wait bounds every single wait of these tests.
const wait = 10 * time.Second

var listening = regexp.MustCompile(`^cable-server listening http=([\d.]+:\d+) grpc=([\d.]+:\d+)\s*$`)

// cableServer is $CABLE_SERVER running on ephemeral ports until the test ends.
type cableServer struct {
	HTTP, GRPC string // host:port
}

// lockedBuffer collects the server's stderr for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func requireEnv(t *testing.T, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set (%s); see doc.go", name, what)
	}
	return v
}

func startServer(t *testing.T) *cableServer {
	t.Helper()
	path := requireEnv(t, "CABLE_SERVER", "path to the cable-server binary")
	cmd := exec.Command(path, "--host", "127.0.0.1", "--port", "0", "--grpc_port", "0")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("--- cable-server stderr ---\n%s", stderr.String())
		}
	})

	addrs := make(chan []string, 1)
	go func() {
		// Reads stdout to the end, so the server never blocks writing it.
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if m := listening.FindStringSubmatch(scanner.Text()); m != nil {
				addrs <- m[1:]
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case a := <-addrs:
		return &cableServer{HTTP: a[0], GRPC: a[1]}
	case <-exited:
		t.Fatalf("cable-server exited before listening: %v\n%s", cmd.ProcessState, stderr.String())
	case <-time.After(wait):
		t.Fatalf("no listening line from cable-server within %v\n%s", wait, stderr.String())
	}
	return nil
}
