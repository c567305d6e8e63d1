package amqp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Why a dial failed, as ClassifyDialError names it. Each wraps the
// library's error, which never holds the password.
var (
	// ErrBrokerUnreachable: no broker answered at the address (refused,
	// timed out, no route, the name does not resolve).
	ErrBrokerUnreachable = errors.New("RabbitMQ is not reachable")
	// ErrBrokerAuth: the broker refused the login (a wrong user or password,
	// an EXTERNAL login whose certificate names no broker user, or no
	// mechanism both sides offer).
	ErrBrokerAuth = errors.New("RabbitMQ refused the login")
	// ErrBrokerVHost: the login was accepted but the virtual host does not
	// exist or the user has no permissions on it.
	ErrBrokerVHost = errors.New("RabbitMQ refused the virtual host")
	// ErrBrokerTLS: the TLS handshake failed (the broker's certificate is
	// not signed by the configured CA or does not carry the server name, or
	// the broker refused the client certificate).
	ErrBrokerTLS = errors.New("the TLS handshake with RabbitMQ failed")
)

// ClassifyDialError wraps an error of amqp091's Dial in the ErrBroker* error
// that says why it failed; an error it cannot place (and nil) is returned
// unchanged.
func ClassifyDialError(err error) error {
	if err == nil {
		return nil
	}
	if named := classify(err); named != nil {
		return fmt.Errorf("%w: %w", named, err)
	}
	return err
}

func classify(err error) error {
	var aerr *amqp.Error
	if errors.As(err, &aerr) {
		switch aerr.Code {
		case amqp.AccessRefused: // 403 at login (ErrCredentials, ErrSASL or the broker's reply)
			return ErrBrokerAuth
		case amqp.NotAllowed: // 530 at connection.open: no such vhost, or no access
			return ErrBrokerVHost
		}
		if aerr.Code == amqp.FrameError && !aerr.Server && strings.HasPrefix(aerr.Reason, "remote error: tls:") {
			// With TLS 1.3 the broker's refusal of the client certificate
			// arrives after the handshake, as an alert on the first read,
			// which amqp091 reports as a frame error.
			return ErrBrokerTLS
		}
		return nil
	}
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		alert      tls.AlertError
		recordHdr  tls.RecordHeaderError
		verifyFail *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &verifyFail), errors.As(err, &unknownCA), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &alert), errors.As(err, &recordHdr):
		return ErrBrokerTLS
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ETIMEDOUT):
		return ErrBrokerUnreachable
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return ErrBrokerUnreachable
	}
	return nil
}

// Dial connects to uri (from Connection.URI) with a connection name, and
// names why it failed with ClassifyDialError.
func Dial(uri, name string, timeout time.Duration) (*amqp.Connection, error) {
	props := amqp.NewConnectionProperties()
	if name != "" {
		props.SetClientConnectionName(name)
	}
	conn, err := amqp.DialConfig(uri, amqp.Config{
		Properties: props,
		Locale:     "en_US",
		Dial:       amqp.DefaultDial(timeout),
	})
	if err != nil {
		return nil, classifyDial(uri, err)
	}
	return conn, nil
}

// classifyDial is ClassifyDialError knowing the URI: over amqps:// a broker
// that resets or closes the connection right after the handshake refused
// the client certificate (with TLS 1.3 its alert arrives after the
// handshake and can lose the race against the client's first write or
// read, so the error is a reset, an EOF or amqp091's ErrClosed).
func classifyDial(uri string, err error) error {
	named := ClassifyDialError(err)
	closed := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, amqp.ErrClosed) || // amqp091's reader saw the close first
		errors.Is(err, net.ErrClosed) // or amqp091 closed the socket while the writer still wrote
	if named == err && closed && strings.HasPrefix(uri, "amqps:") {
		return fmt.Errorf("%w: the broker closed the connection after the handshake (a refused client certificate?): %w", ErrBrokerTLS, err)
	}
	return named
}
