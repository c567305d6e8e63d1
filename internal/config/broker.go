package config

// Broker is the section of the broker connection's transport and login
// settings (docs/broker.md). SLUIS_AMQP_URL says where the broker is; these
// say how the gateway authenticates it and itself.
type Broker struct {
	// AMQPAllowPlaintext lets the gateway use a plaintext amqp:// URL.
	// DEVELOPMENT ONLY (SLUIS_DEV=true turns it on; `make run` sets that):
	// without it `sluis serve` refuses amqp:// and needs amqps://.
	AMQPAllowPlaintext bool `env:"SLUIS_AMQP_ALLOW_PLAINTEXT" envDefault:"false"`
	// AMQPCAFile is a PEM file of the CA certificates that may sign the
	// broker's certificate; empty means the system roots.
	AMQPCAFile string `env:"SLUIS_AMQP_CA_FILE"`
	// AMQPCertFile and AMQPKeyFile are the gateway's PEM client certificate
	// and key, presented to the broker (both or neither).
	AMQPCertFile string `env:"SLUIS_AMQP_CERT_FILE"`
	AMQPKeyFile  string `env:"SLUIS_AMQP_KEY_FILE"`
	// AMQPServerName is the name the broker's certificate must carry; empty
	// means the URL's host.
	AMQPServerName string `env:"SLUIS_AMQP_SERVER_NAME"`
	// AMQPExternalAuth logs in with the client certificate (SASL EXTERNAL):
	// the broker user is the certificate's CN and the URL's password is not
	// used. Needs the client certificate and key.
	AMQPExternalAuth bool `env:"SLUIS_AMQP_EXTERNAL_AUTH" envDefault:"false"`
}

// validate checks the section's settings against each other and the URL's
// scheme; the files themselves are read and checked at start.
func (b Broker) validate(scheme string, bad func(field, format string, args ...any) error) error {
	if (b.AMQPCertFile == "") != (b.AMQPKeyFile == "") {
		return bad("SLUIS_AMQP_CERT_FILE", "SLUIS_AMQP_CERT_FILE and SLUIS_AMQP_KEY_FILE go together")
	}
	if b.AMQPExternalAuth && b.AMQPCertFile == "" {
		return bad("SLUIS_AMQP_EXTERNAL_AUTH", "needs SLUIS_AMQP_CERT_FILE and SLUIS_AMQP_KEY_FILE")
	}
	tls := b.AMQPCAFile != "" || b.AMQPCertFile != "" || b.AMQPServerName != "" || b.AMQPExternalAuth
	if tls && scheme != "amqps" {
		return bad("SLUIS_AMQP_URL", "the SLUIS_AMQP_* TLS settings need an amqps:// URL")
	}
	return nil
}
