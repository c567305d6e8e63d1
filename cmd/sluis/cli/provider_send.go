package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/app"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// SendConfig configures SendHeen.
type SendConfig struct {
	AMQPURL string
	// AGB is the sending provider's AGB code.
	AGB string
	// Kind is the heenbericht: 305, 307, 315, 317 or 323.
	Kind string
	// File is a Bericht (XML) to send as it is; empty: a generated
	// example (inbound.Example) of Standard addressed to Municipality.
	File         string
	Standard     string // iWmo (default) or iJw
	Municipality string // gemeentecode; default 0363
	// Break makes the generated example break one technical rule.
	Break bool
	// Key, Cert and DevDir: the signing pair, as in ProviderConfig.
	Key, Cert, DevDir string
	Now               func() time.Time
}

// SendResult says what was sent.
type SendResult struct {
	MessageID, MessageType, Identificatie string
}

// ErrBadSend is returned for a SendConfig that cannot be sent.
var ErrBadSend = errors.New("provider send")

// SendHeen acts as a care provider sending a heenbericht (docs/inbound.md):
// it signs the Bericht with the provider's key in the sluis envelope and
// publishes it broker-confirmed to exchange sluis.retour with routing key
// inbound, with the connection's user as user_id. The signed technical
// retour arrives on the provider's own queue (`sluis provider`).
func SendHeen(ctx context.Context, out io.Writer, c SendConfig) (SendResult, error) {
	if !messages.ValidAGB(c.AGB) {
		return SendResult{}, amqp.ErrInvalidAGB
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Municipality == "" {
		c.Municipality = "0363"
	}
	if c.Standard == "" {
		c.Standard = string(messages.IWmo)
	}
	now := c.Now()
	var (
		doc []byte
		err error
	)
	if c.File != "" {
		if doc, err = os.ReadFile(c.File); err != nil {
			return SendResult{}, fmt.Errorf("%w: %w", ErrBadSend, err)
		}
	} else {
		if _, ok := inbound.Heenberichten[c.Kind]; !ok {
			return SendResult{}, fmt.Errorf("%w: -send must be 305, 307, 315, 317 or 323", ErrBadSend)
		}
		ident := newHeenIdentificatie()
		m, _, err := inbound.Example(messages.Standard(c.Standard), c.Kind, c.AGB, c.Municipality, ident,
			calendar.DateOf(now), c.Break)
		if err != nil {
			return SendResult{}, fmt.Errorf("%w: %w", ErrBadSend, err)
		}
		if doc, err = messages.Marshal(m); err != nil {
			return SendResult{}, fmt.Errorf("%w: %w", ErrBadSend, err)
		}
	}
	m, err := messages.Parse(doc)
	if err != nil {
		return SendResult{}, fmt.Errorf("%w: the Bericht cannot be read: %w", ErrBadSend, err)
	}
	val, err := xsd.NewValidator()
	if err != nil {
		return SendResult{}, err
	}
	defer val.Close()
	if err := val.Validate(doc); err != nil {
		return SendResult{}, fmt.Errorf("%w: the Bericht fails the official XSD: %w", ErrBadSend, err)
	}
	signer, err := providerSigner(out, c.AGB, c.DevDir, c.Key, c.Cert)
	if err != nil {
		return SendResult{}, err
	}
	if err := app.CheckBroker(c.AMQPURL); err != nil {
		return SendResult{}, err
	}
	mt := messages.MessageType(m.Standard(), m.Kind())
	id := "heen-" + watermill.NewUUID()
	signed, err := signer.Seal(signing.Meta{
		MessageID: id, Standard: string(m.Standard()), MessageType: mt,
		Sender: c.AGB, Recipient: m.Head().Ontvanger, Created: now,
	}, doc)
	if err != nil {
		return SendResult{}, fmt.Errorf("%w: sign: %w", ErrBadSend, err)
	}
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{
		URL: c.AMQPURL, ConnectionName: "sluis-provider-" + c.AGB, UserID: amqp.UserOf(c.AMQPURL),
		Route: func(string, *message.Message) (string, string, error) {
			return amqp.ExchangeRetour, amqp.InboundKey(c.AGB), nil
		},
	}, watermill.NopLogger{}, nil)
	if err != nil {
		return SendResult{}, err
	}
	defer pub.Close()
	msg := message.NewMessage(id, signed)
	bus.ContentType.Set(msg, "application/xml")
	bus.MessageType.Set(msg, mt)
	if err := pub.PublishContext(ctx, "inbound", msg)[0]; err != nil {
		return SendResult{}, fmt.Errorf("publish (is the gateway's topology declared?): %w", err)
	}
	res := SendResult{MessageID: id, MessageType: mt, Identificatie: m.Head().BerichtIdentificatie.Identificatie}
	fmt.Fprintf(out, "sent %s message_id=%s identificatie=%s to=%s (broker confirmed)\n",
		mt, id, res.Identificatie, m.Head().Ontvanger)
	return res, nil
}

// newHeenIdentificatie makes an Identificatie: 12 letters and digits, random.
func newHeenIdentificatie() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "P" + strings.ToUpper(hex.EncodeToString(b))[:11]
}
