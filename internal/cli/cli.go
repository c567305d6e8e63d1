// Package cli holds the sluis subcommands other than serve: a registration
// system (send), a care provider (provider), a verifier (verify) and a
// receipts query (status). They talk to sluis the way real parties do: over
// AMQP and HTTP.
package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/beevik/etree"
	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/status"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// waiting states end `send --wait`: nothing more happens without the provider.
var settled = map[string]bool{
	"invalid": true, "refused": true, "failed": true, "delivered": true,
	"accepted": true, "rejected": true, "overdue": true,
}

// Send acts as a registration system: it binds a status queue for the
// request's sender, publishes the request to the intake (broker-confirmed),
// and prints status events for it until it settles or timeout passes.
func Send(ctx context.Context, out io.Writer, amqpURL, file string, wait bool, timeout time.Duration) error {
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	env := disclosure.Peek(body)
	if env.ID == "" || env.Municipality == "" || env.System == "" {
		fmt.Fprintln(out, "note: the request has no readable id or sender; sluis will refuse it, and its status event goes to unknown.unknown.invalid")
	}
	if err := app.CheckBroker(amqpURL); err != nil {
		return err
	}
	var events <-chan amqp091.Delivery
	if wait {
		conn, err := amqp091.Dial(amqpURL)
		if err != nil {
			return err
		}
		defer conn.Close()
		ch, err := conn.Channel()
		if err != nil {
			return err
		}
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return err
		}
		key := status.OrUnknown(env.Municipality) + "." + status.OrUnknown(env.System) + ".#"
		if err := ch.QueueBind(q.Name, key, amqp.ExchangeStatus, false, nil); err != nil {
			return fmt.Errorf("bind status queue (is the gateway's topology declared? start `sluis serve` once): %w", err)
		}
		if events, err = ch.Consume(q.Name, "", true, true, false, false, nil); err != nil {
			return err
		}
	}
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: amqpURL, Route: app.Route, ConnectionName: "sluis-send"},
		watermill.NopLogger{}, nil)
	if err != nil {
		return err
	}
	defer pub.Close()
	id := env.ID
	if id == "" {
		id = watermill.NewUUID()
	}
	m := message.NewMessage("intake-"+id, body)
	m.Metadata.Set("content_type", "application/json")
	if err := pub.PublishContext(ctx, app.TopicIntake, m)[0]; err != nil {
		return fmt.Errorf("publish to intake: %w", err)
	}
	fmt.Fprintf(out, "sent disclosure %s to the intake (broker confirmed)\n", status.OrUnknown(env.ID))
	if !wait {
		return nil
	}
	deadline := time.After(timeout)
	for {
		select {
		case d, ok := <-events:
			if !ok {
				return errors.New("status queue closed")
			}
			ev, err := status.Parse(d.Body)
			if err != nil || (env.ID != "" && ev.DisclosureID != env.ID) {
				continue
			}
			fmt.Fprintln(out, "status:", describe(ev))
			if settled[ev.State] {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("no settled status within %s", timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func describe(ev status.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %s", ev.State, ev.At.Format(time.RFC3339))
	if ev.MessageType != "" {
		fmt.Fprintf(&b, " %s", ev.MessageType)
	}
	if ev.Identificatie != "" {
		fmt.Fprintf(&b, " identificatie=%s", ev.Identificatie)
	}
	if ev.Recipient != "" {
		fmt.Fprintf(&b, " recipient=%s", ev.Recipient)
	}
	if ev.Reason != "" {
		fmt.Fprintf(&b, " reason=%q", ev.Reason)
	}
	if len(ev.ReasonCodes) > 0 {
		fmt.Fprintf(&b, " codes=%s", strings.Join(ev.ReasonCodes, ","))
	}
	if len(ev.RetourCodes) > 0 {
		fmt.Fprintf(&b, " retour_codes=%s", strings.Join(ev.RetourCodes, ","))
	}
	return b.String()
}

// Summary is what a provider may print of a message: no personal data.
type Summary struct {
	MessageID     string
	MessageType   string
	Sender        string
	Recipient     string
	Identificatie string
	Dagtekening   string
	Products      int
	Signer        string
}

func (s Summary) String() string {
	return fmt.Sprintf("%s message_id=%s from=%s to=%s identificatie=%s dagtekening=%s products=%d signer=%q",
		s.MessageType, s.MessageID, s.Sender, s.Recipient, s.Identificatie, s.Dagtekening, s.Products, s.Signer)
}

// Check verifies a signed envelope against the trusted certificates,
// validates envelope and Bericht against their schemas, and summarises it.
func Check(v *signing.Verifier, val *xsd.Validator, signed []byte) (Summary, []byte, error) {
	opened, err := v.Open(signed)
	if err != nil {
		return Summary{}, nil, err
	}
	if err := val.ValidateEnvelope(signed); err != nil {
		return Summary{}, nil, fmt.Errorf("envelope: %w", err)
	}
	if err := val.Validate(opened.Bericht); err != nil {
		return Summary{}, nil, fmt.Errorf("bericht: %w", err)
	}
	s := Summary{
		MessageID: opened.Meta.MessageID, MessageType: opened.Meta.MessageType,
		Sender: opened.Meta.Sender, Recipient: opened.Meta.Recipient,
		Signer: opened.Signer.Subject.CommonName,
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(opened.Bericht); err == nil {
		if el := doc.FindElement("//BerichtIdentificatie/Identificatie"); el != nil {
			s.Identificatie = el.Text()
		}
		if el := doc.FindElement("//BerichtIdentificatie/Dagtekening"); el != nil {
			s.Dagtekening = el.Text()
		}
		s.Products = len(doc.FindElements("//ToegewezenProduct"))
	}
	return s, opened.Bericht, nil
}

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
	// Both empty: a development pair in provider.DevelopmentDir(AGB),
	// generated when missing, which the development registry of the
	// gateway trusts (both run from the same working directory).
	Key, Cert string
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
	v, err := signing.LoadVerifier(c.Trusted...)
	if err != nil {
		return err
	}
	val, err := xsd.NewValidator()
	if err != nil {
		return err
	}
	defer val.Close()
	if err := app.CheckBroker(c.AMQPURL); err != nil {
		return err
	}
	var resp *responder
	if answer {
		signer, err := providerSigner(out, agb, c.Key, c.Cert)
		if err != nil {
			return err
		}
		pub, err := amqp.NewPublisher(amqp.PublisherConfig{
			URL: c.AMQPURL, ConnectionName: "sluis-provider-" + agb,
			Route: func(string, *message.Message) (string, string, error) {
				return amqp.ExchangeRetour, amqp.KeyRetour, nil
			},
		}, watermill.NopLogger{}, nil)
		if err != nil {
			return err
		}
		defer pub.Close()
		resp = &responder{agb: agb, verdict: verdict, signer: signer, val: val, pub: pub, now: c.Now}
	}
	conn, err := amqp091.Dial(c.AMQPURL)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
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
func providerSigner(out io.Writer, agb, key, cert string) (*signing.Signer, error) {
	if key != "" || cert != "" {
		if key == "" || cert == "" {
			return nil, errors.New("give both -key and -cert, or neither for a development pair")
		}
		return signing.LoadSigner(key, cert)
	}
	key, cert, err := signing.GenerateDevelopment(provider.DevelopmentDir(agb), "sluis provider "+agb)
	if err != nil {
		return nil, fmt.Errorf("provider development keys: %w", err)
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
	msg.Metadata.Set("content_type", "application/xml")
	msg.Metadata.Set("message_type", mt)
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

// Verify checks a signed envelope file.
func Verify(out io.Writer, file string, trusted []string, extract string) error {
	signed, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	v, err := signing.LoadVerifier(trusted...)
	if err != nil {
		return err
	}
	val, err := xsd.NewValidator()
	if err != nil {
		return err
	}
	defer val.Close()
	s, bericht, err := Check(v, val, signed)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "signature OK, envelope and Bericht valid: %s\n", s)
	if extract != "" {
		if err := os.WriteFile(extract, bericht, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "Bericht written to %s\n", extract)
	}
	return nil
}

// Status prints a disclosure's receipt from the HTTP API.
func Status(ctx context.Context, out io.Writer, api, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(api, "/")+"/v1/disclosures/"+id, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is the gateway running? %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	fmt.Fprintln(out, string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
