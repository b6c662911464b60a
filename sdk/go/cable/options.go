package cable

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// DefaultTimeout bounds a call whose context has no deadline, unless
// WithTimeout says otherwise.
const DefaultTimeout = 5 * time.Second

// An Option configures NewPublisher.
type Option func(*options)

type options struct {
	apiKey  string
	timeout time.Duration
	retry   RetryPolicy
	tls     tlsSettings
	dialer  func(context.Context, string) (net.Conn, error)
}

// tlsSettings are gathered by the options and turned into credentials by
// NewPublisher, which reports unreadable files.
type tlsSettings struct {
	enabled           bool
	config            *tls.Config
	rootCAFile        string
	certFile, keyFile string
}

func defaultOptions() options {
	return options{timeout: DefaultTimeout, retry: DefaultRetryPolicy}
}

// WithAPIKey sends gRPC metadata "authorization: Bearer <key>" with every
// call. An empty key sends nothing.
func WithAPIKey(key string) Option {
	return func(o *options) { o.apiKey = key }
}

// WithTimeout sets the deadline of calls whose context has none (default
// DefaultTimeout). It covers connecting and retries.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithRetries sets when and how often a call is attempted again; see
// RetryPolicy. WithRetries(RetryPolicy{MaxAttempts: 1}) turns retries off.
func WithRetries(p RetryPolicy) Option {
	return func(o *options) { o.retry = p }
}

// WithInsecure connects in plaintext, the default. It undoes earlier TLS
// options.
func WithInsecure() Option {
	return func(o *options) { o.tls = tlsSettings{} }
}

// WithTLS connects over TLS configured by cfg (copied); nil trusts the
// system's root certificates. WithRootCAFile and WithClientCertFiles add to
// it.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		o.tls.enabled = true
		if cfg != nil {
			o.tls.config = cfg.Clone()
		}
	}
}

// WithRootCAFile connects over TLS and trusts only the certificates in the
// PEM file (instead of the system's roots).
func WithRootCAFile(pemFile string) Option {
	return func(o *options) {
		o.tls.enabled = true
		o.tls.rootCAFile = pemFile
	}
}

// WithClientCertFiles connects over TLS and presents this certificate chain
// and private key (PEM files) to servers that require mutual TLS.
func WithClientCertFiles(certFile, keyFile string) Option {
	return func(o *options) {
		o.tls.enabled = true
		o.tls.certFile, o.tls.keyFile = certFile, keyFile
	}
}

// WithDialer makes connections with dial instead of a TCP dial of the
// target's address: for tunnels, proxies, or tests.
func WithDialer(dial func(ctx context.Context, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dialer = dial }
}
