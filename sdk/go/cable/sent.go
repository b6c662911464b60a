package cable

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/stats"
)

// Whether a request reached the server is decided from gRPC's own events:
// the client transport reports OutHeader once the call's stream exists on a
// connection and its headers are queued for writing. An attempt that ended
// without it never left this process, so repeating it cannot publish twice.
// (An attempt with OutHeader may or may not have arrived; it counts as sent.)

type sentMarkKey struct{}

// sentMark records whether one attempt's request was handed to a connection.
type sentMark struct{ sent atomic.Bool }

func withSentMark(ctx context.Context) (context.Context, *sentMark) {
	m := &sentMark{}
	return context.WithValue(ctx, sentMarkKey{}, m), m
}

// sentTracker is the stats.Handler that sets the sentMark of the call.
type sentTracker struct{}

var _ stats.Handler = sentTracker{}

func (sentTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (sentTracker) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.OutHeader); !ok {
		return
	}
	if m, ok := ctx.Value(sentMarkKey{}).(*sentMark); ok {
		m.sent.Store(true)
	}
}

func (sentTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (sentTracker) HandleConn(context.Context, stats.ConnStats) {}
