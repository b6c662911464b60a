// Package fakepublisher is an in-process cable.v1.Publisher server for the
// SDK's tests: it records every call with its metadata, answers with
// predictable values, and can be told to fail or hang.
package fakepublisher

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"cable.dev/sdk/go/cablev1"
)

// Call is one request the server received.
type Call struct {
	Method   string
	Request  proto.Message
	Metadata metadata.MD
}

// Server is a real gRPC server on 127.0.0.1 with an ephemeral port.
type Server struct {
	cablev1.UnimplementedPublisherServer

	// Addr is "127.0.0.1:<port>".
	Addr string

	mu    sync.Mutex
	calls []Call
	fail  map[string][]error // per method, returned by the next calls in order
	hang  map[string]bool    // per method: the handler waits for the call to end
}

// Start serves on an ephemeral port until the test ends.
func Start(t testing.TB, opts ...grpc.ServerOption) *Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &Server{Addr: lis.Addr().String(), fail: map[string][]error{}, hang: map[string]bool{}}
	gs := grpc.NewServer(opts...)
	cablev1.RegisterPublisherServer(gs, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = gs.Serve(lis)
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-done
	})
	return s
}

// FailNext makes the next len(errs) calls of method return errs, in order.
func (s *Server) FailNext(method string, errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = append(s.fail[method], errs...)
}

// Hang makes every call of method wait until the caller gives up.
func (s *Server) Hang(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang[method] = true
}

// Calls returns the calls of method received so far.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// record notes a call and returns the error it is to fail with, if any.
func (s *Server) record(ctx context.Context, method string, req proto.Message) error {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Request: req, Metadata: md})
	hang := s.hang[method]
	var err error
	if q := s.fail[method]; len(q) > 0 {
		err, s.fail[method] = q[0], q[1:]
	}
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}
