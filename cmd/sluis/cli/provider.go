package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// ProviderConfig configures RunProvider.
type ProviderConfig struct {
	AMQPURL string
	// AGB is the provider's 8-digit AGB code; it consumes sluis.provider.<AGB>.
	AGB string
	// Trusted are PEM files with the certificates sluis signs with.
	Trusted []string
	// Count: stop after this many messages; 0 runs until ctx ends.
	Count int
	// SaveDir, when set, keeps every received signed message there.
	SaveDir string
	// Timeout: give up when no message arrives within it; 0 waits for ever.
	Timeout time.Duration
	// Answer is what the provider sends back on each verified 301 (a 302)
	// or 319 (a 320): "" or "none" (nothing, only ack), "accept", or
	// "reject:CODE" with a retour code of the standard (e.g. reject:9332).
	// See ParseAnswer.
	Answer string
	// Key and Cert are the PEM files the provider signs its retours with.
	// Both empty: the development pair in DevDir/<AGB>/
	// (provider.DevelopmentPair), generated when missing, which the
	// development registry of the gateway trusts (SLUIS_DEV_PROVIDERS_DIR,
	// the same folder: both run from the same working directory).
	Key, Cert string
	// DevDir is the folder of the development providers' key pairs;
	// empty: provider.DevelopmentDir.
	DevDir string
	// Now is the clock (DagtekeningRetour, envelope Created); default time.Now.
	Now func() time.Time
}

// ErrBadAnswer is returned by ParseAnswer.
var ErrBadAnswer = errors.New(`answer must be "none", "accept" or "reject:CODE"`)

// ParseAnswer reads an -answer value: whether to answer at all, and how.
func ParseAnswer(s string) (answer bool, v retour.Verdict, err error) {
	switch {
	case s == "" || s == "none":
		return false, v, nil
	case s == "accept":
		return true, v, nil
	case strings.HasPrefix(s, "reject:"):
		code := messages.RetourCode(strings.TrimPrefix(s, "reject:"))
		if len(code) != 4 || strings.Trim(string(code), "0123456789") != "" ||
			code == messages.RetourGeenOpmerking || code == messages.RetourNietBeoordeeld {
			return false, v, fmt.Errorf("%w: CODE must be a 4-digit retour code other than 0200 and 0233", ErrBadAnswer)
		}
		if _, known := code.Meaning(messages.IWmo); !known {
			if _, known := code.Meaning(messages.IJw); !known {
				return false, v, fmt.Errorf("%w: %s is not a retour code of iWmo or iJw 3.2", ErrBadAnswer, code)
			}
		}
		return true, retour.Verdict{Reject: true, Code: code}, nil
	}
	return false, v, ErrBadAnswer
}

// responder answers verified messages with a signed retour.
type responder struct {
	agb     string
	verdict retour.Verdict
	signer  *signing.Signer
	val     *xsd.Validator
	pub     *amqp.Publisher
	now     func() time.Time
}

// RunProvider acts as a care provider: it consumes its own queue, verifies
// each message against the trusted certificates, validates it, prints a
// summary without personal data, answers it when configured (a signed 302
// or 320, published broker-confirmed to sluis.retour), and only then acks.
// A message that fails verification is rejected (dead-lettered to the
// parking queue) and not answered.
func RunProvider(ctx context.Context, out io.Writer, c ProviderConfig) error {
	agb := c.AGB
	if !messages.ValidAGB(agb) {
		return amqp.ErrInvalidAGB
	}
	answer, verdict, err := ParseAnswer(c.Answer)
	if err != nil {
		return err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	v, val, err := checker(c.Trusted)
	if err != nil {
		return err
	}
	defer val.Close()
	if err := app.CheckBroker(c.AMQPURL); err != nil {
		return err
	}
	var resp *responder
	if answer {
		signer, err := providerSigner(out, agb, c.DevDir, c.Key, c.Cert)
		if err != nil {
			return err
		}
		pub, err := amqp.NewPublisher(amqp.PublisherConfig{
			URL: c.AMQPURL, ConnectionName: "sluis-provider-" + agb, UserID: amqp.UserOf(c.AMQPURL),
			Route: func(string, *message.Message) (string, string, error) {
				return amqp.ExchangeRetour, agb, nil // its own routing key: its topic permission allows no other
			},
		}, watermill.NopLogger{}, nil)
		if err != nil {
			return err
		}
		defer pub.Close()
		resp = &responder{agb: agb, verdict: verdict, signer: signer, val: val, pub: pub, now: c.Now}
	}
	conn, ch, err := dial(c.AMQPURL)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := ch.Qos(16, 0, false); err != nil {
		return err
	}
	deliveries, err := ch.Consume(amqp.ProviderQueue(agb), "sluis-provider-"+agb, false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", amqp.ProviderQueue(agb), err)
	}
	fmt.Fprintf(out, "provider %s: waiting for messages on %s\n", agb, amqp.ProviderQueue(agb))
	var idle <-chan time.Time
	if c.Timeout > 0 {
		idle = time.After(c.Timeout)
	}
	seen := 0
	for c.Count == 0 || seen < c.Count {
		select {
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("delivery channel closed")
			}
			seen++
			s, bericht, err := Check(v, val, d.Body)
			if err != nil {
				fmt.Fprintf(out, "REJECTED message_id=%s: %v\n", d.MessageId, err)
				_ = d.Reject(false)
				continue
			}
			if c.SaveDir != "" {
				if err := os.MkdirAll(c.SaveDir, 0o700); err != nil {
					return err
				}
				name := filepath.Join(c.SaveDir, s.MessageID+".xml")
				if err := os.WriteFile(name, d.Body, 0o600); err != nil {
					return err
				}
				fmt.Fprintf(out, "saved %s\n", name)
			}
			fmt.Fprintf(out, "verified %s\n", s)
			if resp != nil {
				line, err := resp.answer(ctx, s, bericht)
				if err != nil {
					// Not acked: the broker redelivers it, and it is answered then.
					_ = d.Nack(false, true)
					return fmt.Errorf("answer %s: %w", s.MessageID, err)
				}
				fmt.Fprintln(out, line)
			}
			if err := d.Ack(false); err != nil {
				return err
			}
		case <-idle:
			return fmt.Errorf("no message within %s (received %d)", c.Timeout, seen)
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// providerSigner loads the provider's signing pair, or makes the
// development one.
func providerSigner(out io.Writer, agb, devDir, key, cert string) (*signing.Signer, error) {
	if key != "" || cert != "" {
		if key == "" || cert == "" {
			return nil, errors.New("give both -key and -cert, or neither for a development pair")
		}
		return signing.LoadSigner(key, cert)
	}
	if devDir == "" {
		devDir = provider.DevelopmentDir
	}
	key, cert, err := provider.DevelopmentPair(devDir, agb)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "signing retours with the DEVELOPMENT key pair %s (certificate %s); not for production\n", key, cert)
	return signing.LoadSigner(key, cert)
}

// answer builds, signs and publishes the retour on one verified message;
// it returns the line to print. A message without a retour (not a 301 or
// 319) is only acknowledged.
func (r *responder) answer(ctx context.Context, s Summary, bericht []byte) (string, error) {
	heen, err := messages.Parse(bericht)
	if err != nil {
		return "", err
	}
	now := r.now()
	v := r.verdict
	v.IdentificatieRetour = newIdentificatie()
	v.Today = messages.DateOf(now.In(calendar.Location()))
	m, err := retour.Answer(heen, v)
	if errors.Is(err, retour.ErrCannotAnswer) {
		return fmt.Sprintf("no retour for %s: acknowledged only", s.MessageType), nil
	}
	if err != nil {
		return "", err
	}
	doc, err := messages.Build(m, messages.BuildOptions{Today: v.Today})
	if err != nil {
		return "", fmt.Errorf("build retour: %w", err)
	}
	if err := r.val.Validate(doc); err != nil {
		return "", fmt.Errorf("retour not schema-valid: %w", err)
	}
	mt := messages.MessageType(m.Standard(), m.Kind())
	id := "retour-" + watermill.NewUUID()
	signed, err := r.signer.Seal(signing.Meta{
		MessageID: id, InReplyTo: s.MessageID, Standard: string(m.Standard()), MessageType: mt,
		Sender: r.agb, Recipient: heen.Head().Afzender, Created: now,
	}, doc)
	if err != nil {
		return "", err
	}
	msg := message.NewMessage(id, signed)
	bus.ContentType.Set(msg, "application/xml")
	bus.MessageType.Set(msg, mt)
	if err := r.pub.PublishContext(ctx, "retour", msg)[0]; err != nil {
		return "", fmt.Errorf("publish retour (is the gateway's topology declared?): %w", err)
	}
	verdict := "accepted"
	if v.Reject {
		verdict = "rejected code=" + string(v.Code)
	}
	return fmt.Sprintf("answered %s %s message_id=%s in_reply_to=%s identificatie=%s identificatie_retour=%s (broker confirmed)",
		mt, verdict, id, s.MessageID, heen.Head().BerichtIdentificatie.Identificatie, v.IdentificatieRetour), nil
}

// newIdentificatie makes a retour Identificatie: 12 characters, random.
func newIdentificatie() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "R" + strings.ToUpper(hex.EncodeToString(b))[:11]
}
