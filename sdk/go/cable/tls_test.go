package cable_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"cable.dev/sdk/go/cable"
	"cable.dev/sdk/go/internal/fakepublisher"
	"cable.dev/sdk/go/internal/testcerts"
)

func startMutualTLSServer(t *testing.T) (*fakepublisher.Server, testcerts.Files) {
	certs := testcerts.Write(t)
	srv := fakepublisher.Start(t, grpc.Creds(credentials.NewTLS(certs.ServerConfig(t))))
	return srv, certs
}

func TestMutualTLSFromFiles(t *testing.T) {
	srv, certs := startMutualTLSServer(t)
	p := newPublisher(t, srv.Addr, cable.WithRootCAFile(certs.CA),
		cable.WithClientCertFiles(certs.ClientCert, certs.ClientKey))
	if err := p.Broadcast(context.Background(), "s", "over tls"); err != nil {
		t.Fatalf("Broadcast over mutual TLS: %v", err)
	}
}

func TestTLSConfig(t *testing.T) {
	srv, certs := startMutualTLSServer(t)
	pem, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	// The client certificate comes from files, the roots from the config.
	p := newPublisher(t, srv.Addr, cable.WithTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
		cable.WithClientCertFiles(certs.ClientCert, certs.ClientKey))
	if err := p.Broadcast(context.Background(), "s", "over tls"); err != nil {
		t.Fatalf("Broadcast with WithTLS: %v", err)
	}
}

func TestTLSFailures(t *testing.T) {
	srv, certs := startMutualTLSServer(t)
	for name, opts := range map[string][]cable.Option{
		"no client certificate": {cable.WithRootCAFile(certs.CA)},
		"untrusted server":      {cable.WithTLS(nil), cable.WithClientCertFiles(certs.ClientCert, certs.ClientKey)},
		"plaintext":             {cable.WithRootCAFile(certs.CA), cable.WithInsecure()},
	} {
		p := newPublisher(t, srv.Addr, append(opts, cable.WithRetries(cable.RetryPolicy{MaxAttempts: 1}))...)
		if err := p.Broadcast(context.Background(), "s", "d"); err == nil {
			t.Errorf("%s: Broadcast succeeded", name)
		}
	}
	if n := len(srv.Calls("Broadcast")); n != 0 {
		t.Errorf("server accepted %d broadcasts", n)
	}
}
