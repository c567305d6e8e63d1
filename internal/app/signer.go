package app

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/sluis-gateway/sluis/internal/config"
	"github.com/sluis-gateway/sluis/internal/signing"
)

// OpenSigner opens the configured signing key source (docs/signing.md):
// PEM files or a PKCS#11 token, with the next key of a rotation when one is
// configured. Every key and certificate is checked; a failed check is a
// start-up error naming the file. With SLUIS_DEV_KEYS and the PEM source a
// development key pair is generated when both files are missing; when only
// one of them exists nothing is written and OpenSigner refuses to start.
func OpenSigner(cfg config.Config, log *slog.Logger) (*signing.Source, error) {
	sc := signing.SourceConfig{
		Current:  signing.KeyRef{KeyFile: cfg.SigningKey, CertFile: cfg.SigningCert},
		NextFrom: cfg.SigningNextFrom,
	}
	if cfg.SigningNextCert != "" {
		sc.Next = signing.KeyRef{KeyFile: cfg.SigningNextKey, KeyLabel: cfg.PKCS11NextKeyLabel, CertFile: cfg.SigningNextCert}
	}
	switch cfg.Signer {
	case "pkcs11":
		sc.Current = signing.KeyRef{KeyLabel: cfg.PKCS11KeyLabel, CertFile: cfg.SigningCert}
		sc.PKCS11 = &signing.PKCS11Config{Module: cfg.PKCS11Module, TokenLabel: cfg.PKCS11TokenLabel, PINFile: cfg.PKCS11PINFile}
	case "pem":
		if cfg.DevKeys {
			keyMissing, certMissing := missing(cfg.SigningKey), missing(cfg.SigningCert)
			switch {
			case keyMissing && certMissing:
				if err := signing.GenerateDevelopmentPair(cfg.SigningKey, cfg.SigningCert, "sluis"); err != nil {
					return nil, fmt.Errorf("development keys: %w", err)
				}
				log.Warn("generated a DEVELOPMENT signing key and self-signed certificate; not for production",
					"key", cfg.SigningKey, "cert", cfg.SigningCert)
			case keyMissing || certMissing:
				return nil, fmt.Errorf("development keys: %w: key %s missing %t, certificate %s missing %t",
					signing.ErrPartialKeyPair, cfg.SigningKey, keyMissing, cfg.SigningCert, certMissing)
			}
		}
	default:
		return nil, fmt.Errorf("signing: unknown signer %q", cfg.Signer)
	}
	s, err := signing.NewSource(sc)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	for _, c := range s.Trusted() {
		log.Info("signing certificate; providers must trust it", "signer", cfg.Signer,
			"subject", c.Subject.CommonName, "serial", c.SerialNumber.Text(16),
			"not_before", c.NotBefore.UTC(), "not_after", c.NotAfter.UTC())
	}
	if sc.Next.CertFile != "" {
		log.Info("signing key rotation configured: the next certificate signs from next_from on",
			"next_from", cfg.SigningNextFrom.UTC())
	}
	return s, nil
}

// Reloader reads keys and certificates again; *signing.Source is one.
type Reloader interface {
	Reload() error
}

// ReloadOnHangup reloads src on every SIGHUP until stop is called, logging
// the outcome (a failed reload keeps the keys in use). It returns at once.
func ReloadOnHangup(src Reloader, log *slog.Logger) (stop func()) {
	return reloadOnSignal(src, log, syscall.SIGHUP, nil)
}

// reloadOnSignal is ReloadOnHangup for any signal; reloaded, when not nil,
// gets each reload's result (tests wait on it).
func reloadOnSignal(src Reloader, log *slog.Logger, sig os.Signal, reloaded func(error)) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-ch:
				err := src.Reload()
				if err != nil {
					log.Error("signing keys not reloaded; the keys in use stay", "err", err)
				} else {
					log.Info("signing keys reloaded")
				}
				if reloaded != nil {
					reloaded(err)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			<-finished
		})
	}
}
