// Package tlsopt is the `tls:` client block shared by every probe kind that
// speaks TLS as a client (http, load, prometheus, redis, ...), so the option
// names and their meaning are the same everywhere.
package tlsopt

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/readyctl/readyctl/checks"
)

// Options is the `tls:` block of a probe.
type Options struct {
	CAFile             string `yaml:"ca_file" doc:"PEM file of CA certificates to trust instead of the system roots"`
	CertFile           string `yaml:"cert_file" doc:"PEM client certificate for mutual TLS (needs key_file)"`
	KeyFile            string `yaml:"key_file" doc:"PEM private key of cert_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify" doc:"do not verify the server certificate (never in production)"`
	ServerName         string `yaml:"server_name" doc:"name to verify the certificate against and send as SNI"`
}

// Validate checks the block without reading files. Field names are
// relative to the block; prefix them with the block's own key.
func (o *Options) Validate() error {
	if (o.CertFile == "") != (o.KeyFile == "") {
		return fmt.Errorf("cert_file and key_file go together")
	}
	return nil
}

// Config builds a *tls.Config, reading the files it names.
func (o *Options) Config() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // opt-in, documented as test-only
		MinVersion:         tls.VersionTLS12,
	}
	if o.CAFile != "" {
		pem, err := checks.ReadFile(o.CAFile, checks.MaxCredentialFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificates found", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" {
		cert, err := loadKeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// loadKeyPair is tls.LoadX509KeyPair with both files read as hostile input.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := checks.ReadFile(certFile, checks.MaxCredentialFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := checks.ReadFile(keyFile, checks.MaxCredentialFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}
