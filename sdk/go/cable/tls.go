package cable

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// credentials turns the TLS options into gRPC transport credentials,
// reading the PEM files they name.
func (s tlsSettings) credentials() (credentials.TransportCredentials, error) {
	if !s.enabled {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.config != nil {
		cfg = s.config.Clone()
	}
	if s.rootCAFile != "" {
		pem, err := os.ReadFile(s.rootCAFile)
		if err != nil {
			return nil, fmt.Errorf("cable: root CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cable: root CA: no PEM certificate in %s", s.rootCAFile)
		}
		cfg.RootCAs = pool
	}
	if s.certFile != "" || s.keyFile != "" {
		if s.certFile == "" || s.keyFile == "" {
			return nil, errors.New("cable: client certificate: both a certificate and a key file are needed")
		}
		cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
		if err != nil {
			return nil, fmt.Errorf("cable: client certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	return credentials.NewTLS(cfg), nil
}
