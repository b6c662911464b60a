package cable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"

	"cable.dev/sdk/go/cablev1"
)

// maxMessageBytes bounds what a call sends or receives: stateful channels
// can carry large states (the server allows 128 MiB).
const maxMessageBytes = 128 << 20

// Publisher calls a Cable server's Publisher API over one gRPC connection,
// which it opens lazily and re-opens after failures. It is safe for
// concurrent use; Close it when done.
type Publisher struct {
	conn    *grpc.ClientConn
	client  cablev1.PublisherClient
	apiKey  string
	timeout time.Duration
	retry   RetryPolicy
}

// NewPublisher returns a Publisher for the server's gRPC address target
// ("host:port" or any gRPC target such as "dns:///cable.internal:50051").
// It does not connect yet: the first call does. Errors are about the
// options (e.g. an unreadable certificate file).
func NewPublisher(target string, opts ...Option) (*Publisher, error) {
	if target == "" {
		return nil, errors.New("cable: empty target")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("cable: timeout must be positive, got %v", o.timeout)
	}
	o.retry = o.retry.withDefaults()
	if err := o.retry.validate(); err != nil {
		return nil, err
	}
	creds, err := o.tls.credentials()
	if err != nil {
		return nil, err
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(sentTracker{}),
		// Reconnect on the retry policy's schedule, so that a retry after a
		// failed connection meets a fresh connection attempt.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  o.retry.InitialBackoff,
				Multiplier: o.retry.Multiplier,
				Jitter:     0.2,
				MaxDelay:   o.retry.MaxBackoff,
			},
			MinConnectTimeout: 20 * time.Second,
		}),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMessageBytes),
			grpc.MaxCallSendMsgSize(maxMessageBytes)),
	}
	if o.dialer != nil {
		dialOpts = append(dialOpts, grpc.WithContextDialer(o.dialer))
	}
	conn, err := grpc.Dial(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("cable: %w", err)
	}
	return &Publisher{
		conn:    conn,
		client:  cablev1.NewPublisherClient(conn),
		apiKey:  o.apiKey,
		timeout: o.timeout,
		retry:   o.retry,
	}, nil
}

// Close closes the connection; calls in flight fail with CANCELED.
func (p *Publisher) Close() error {
	return p.conn.Close()
}

// invoke runs one RPC through attempt, which calls the generated stub with
// the context it is given: adds the default deadline and the API key, and
// repeats attempts the retry policy allows.
func (p *Publisher) invoke(ctx context.Context, method string, kind callKind,
	attempt func(context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	if p.apiKey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+p.apiKey)
	}
	for n := 1; ; n++ {
		actx, mark := withSentMark(ctx)
		err := attempt(actx)
		if err == nil {
			return nil
		}
		e := callError(method, err, !mark.sent.Load())
		if !p.retry.shouldRetry(n, kind, e) || !p.pause(ctx, p.retry.backoff(n), e.NotSent) {
			return e
		}
	}
}

// pause waits d before the next attempt. After a failure to connect
// (untilReady) it ends as soon as a connection is ready, starting one if the
// channel is idle. It returns false once ctx is done: then the last error
// says more than another attempt would.
func (p *Publisher) pause(ctx context.Context, d time.Duration, untilReady bool) bool {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if !untilReady {
		<-wctx.Done()
		return ctx.Err() == nil
	}
	for {
		state := p.conn.GetState()
		switch state {
		case connectivity.Ready, connectivity.Shutdown:
			return true
		case connectivity.Idle:
			p.conn.Connect()
		}
		if !p.conn.WaitForStateChange(wctx, state) {
			return ctx.Err() == nil
		}
	}
}
