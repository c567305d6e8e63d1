package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/messages"
)

// Errors of `sluis dead` (docs/cli.md, "Dead letters").
var (
	// ErrDeadNotFound: no message with the id among those read.
	ErrDeadNotFound = errors.New("no message with this id on sluis.dead")
	// ErrSummaryOnly refuses to replay a parked retour: sluis.dead holds
	// only its summary, not the retour.
	ErrSummaryOnly = errors.New("only a summary is kept of a parked retour, not the retour itself: nothing to replay; ask the provider to send it again (match it by the summary's sha256)")
	// ErrReplayRetour refuses to replay a retour the broker dead-lettered:
	// a retour is authenticated by the broker user that published it, the
	// provider's, which sluis cannot publish as.
	ErrReplayRetour = errors.New("a retour counts only as published by its provider's broker user, which sluis cannot publish as: ask the provider to send it again")
	// ErrReplayOrigin refuses to replay a message that no work queue of
	// sluis dead-lettered.
	ErrReplayOrigin = errors.New("not dead-lettered from a work queue of sluis (no x-first-death-queue of sluis.disclosures, sluis.consents or a provider queue): nothing to replay it to")
	// ErrReplayPublisher refuses to replay an intake message whose
	// publisher is no registered system: the gateway would drop it as
	// unauthenticated.
	ErrReplayPublisher = errors.New("published by no registered system's broker user: the gateway would drop it unauthenticated")
	// ErrNoOperator: replay needs -operator.
	ErrNoOperator = errors.New("-operator is required: the pseudonymous id the ledger names as who replayed")
)

// Ledger events of `sluis dead replay`: recorded before the republish, and
// a second entry when the republish then fails.
const (
	EventDeadReplayed    = "dead:replayed"
	EventDeadReplayError = "dead:replay_failed"
)

// operatorID is the form of -operator: a pseudonymous id, never a name
// with spaces.
var operatorID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Appender writes a ledger entry (the store's Append); the actor comes from
// the context.
type Appender interface {
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// DeadLetters reads and replays the messages of sluis.dead without taking
// any it does not replay: each is fetched with basic.get without ack and
// all are given back (nack, requeue) when the command ends, so they stay,
// each with its delivery count one higher.
type DeadLetters struct {
	// URL is the broker URL as the gateway dials it (app.BrokerURL).
	URL string
	// GatewayUser is the gateway's broker user (app.BrokerUser): the
	// user-id of a replayed message.
	GatewayUser string
	// Systems maps an intake message's broker user to its registration
	// system (replay only).
	Systems *identity.Registry
	// Ledger records replays (replay only).
	Ledger Appender
	// Max bounds how many messages one command reads (default 1000).
	Max int
}

// deadLetter is what list and show say of one message: ids, codes, queue
// names and sizes, never the body of a dead-lettered message.
type deadLetter struct {
	ID          string
	Kind        string // parked, dead-lettered or unknown
	Reason      string
	Queue       string // where it was taken from
	At          time.Time
	Detail      string // a parked retour's detail (ids and codes only)
	Count       int64  // how often the broker dead-lettered it
	Size        int
	SHA256      string
	ContentType string
	UserID      string
	Disclosure  string // the disclosure id of a request dead-lettered from sluis.disclosures
	d           amqp091.Delivery
}

func (dl DeadLetters) max() int {
	if dl.Max <= 0 {
		return 1000
	}
	return dl.Max
}

// browse reads up to Max messages of sluis.dead without acking them and
// calls visit with each; visit returns stop to stop, and took when it
// acked the message. All others are requeued when browse returns, and it
// waits (up to settleWait) until the queue holds them as ready again, so
// that the next command sees them. It returns how many it read and how
// many the queue held.
func (dl DeadLetters) browse(ctx context.Context, visit func(conn *amqp091.Connection, m deadLetter) (stop, took bool, err error)) (read, total int, err error) {
	conn, err := amqp.Dial(dl.URL, "sluis-dead", 10*time.Second)
	if err != nil {
		return 0, 0, fmt.Errorf("broker: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return 0, 0, err
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(amqp.QueueDead, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w (is the gateway's topology declared? start `sluis serve` once)", amqp.QueueDead, err)
	}
	var last uint64
	taken := 0
	defer func() {
		if last == 0 {
			return
		}
		// Give back everything read and not acked, in one nack.
		if nerr := ch.Nack(last, true, true); nerr != nil {
			if err == nil {
				err = fmt.Errorf("give the messages back to %s: %w", amqp.QueueDead, nerr)
			}
			return
		}
		settle(ch, q.Name, q.Messages-taken)
	}()
	for read < q.Messages && read < dl.max() {
		if err := ctx.Err(); err != nil {
			return read, q.Messages, err
		}
		d, ok, err := ch.Get(q.Name, false)
		if err != nil {
			return read, q.Messages, fmt.Errorf("basic.get %s: %w", amqp.QueueDead, err)
		}
		if !ok {
			break
		}
		read++
		last = d.DeliveryTag
		stop, took, err := visit(conn, readDead(d))
		if took {
			taken++
		}
		if err != nil || stop {
			return read, q.Messages, err
		}
	}
	return read, q.Messages, nil
}

// settleWait bounds how long browse waits for the messages it gave back
// to be ready again (a quorum queue requeues them asynchronously).
const settleWait = 5 * time.Second

// settle waits until queue holds at least want ready messages, or
// settleWait passed (messages may also expire or be taken meanwhile).
func settle(ch *amqp091.Channel, queue string, want int) {
	deadline := time.Now().Add(settleWait)
	for time.Now().Before(deadline) {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, amqp091.Table{"x-queue-type": "quorum"})
		if err != nil || q.Messages >= want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readDead reads what may be shown of d.
func readDead(d amqp091.Delivery) deadLetter {
	sum := sha256.Sum256(d.Body)
	m := deadLetter{
		ID: d.MessageId, Kind: "unknown", Size: len(d.Body), SHA256: hex.EncodeToString(sum[:]),
		ContentType: d.ContentType, UserID: d.UserId, At: d.Timestamp, d: d,
	}
	if m.ID == "" {
		m.ID = "sha256:" + m.SHA256[:16]
	}
	if reason, ok := d.Headers[retour.HeaderParkReason].(string); ok {
		m.Kind, m.Reason = "parked", reason
		m.Detail, _ = d.Headers[retour.HeaderParkDetail].(string)
		m.Queue, _ = d.Headers[retour.HeaderParkSource].(string)
		return m
	}
	if q, ok := d.Headers["x-first-death-queue"].(string); ok {
		m.Kind, m.Queue = "dead-lettered", q
		m.Reason, _ = d.Headers["x-first-death-reason"].(string)
		if deaths, ok := d.Headers["x-death"].([]any); ok {
			for _, x := range deaths {
				t, ok := x.(amqp091.Table)
				if !ok {
					continue
				}
				if n, ok := t["count"].(int64); ok {
					m.Count += n
				}
				if at, ok := t["time"].(time.Time); ok && t["queue"] == q {
					m.At = at
				}
			}
		}
		if strings.HasSuffix(q, amqp.QueueDisclosures) {
			m.Disclosure = disclosure.Peek(d.Body).ID
		}
	}
	return m
}

// List prints the id, kind, reason, source queue and time of each message
// of sluis.dead, oldest first as the queue holds them, and how many there
// are.
func (dl DeadLetters) List(ctx context.Context, out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tREASON\tFROM\tAT")
	read, total, err := dl.browse(ctx, func(_ *amqp091.Connection, m deadLetter) (bool, bool, error) {
		at := "-"
		if !m.At.IsZero() {
			at = m.At.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Kind, orDash(m.Reason), orDash(m.Queue), at)
		return false, false, nil
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d message(s) on %s", total, amqp.QueueDead)
	if read < total {
		fmt.Fprintf(out, "; %d listed (-max %d)", read, dl.max())
	}
	fmt.Fprintln(out)
	return nil
}

// Show prints one message's properties and headers: a parked retour's
// summary in full (it holds ids and codes only), of a dead-lettered
// message never the body (a disclosure request holds personal data), only
// its size and SHA-256 and, for a disclosure request, its id.
func (dl DeadLetters) Show(ctx context.Context, out io.Writer, id string) error {
	found := false
	_, _, err := dl.browse(ctx, func(_ *amqp091.Connection, m deadLetter) (bool, bool, error) {
		if m.ID != id {
			return false, false, nil
		}
		found = true
		show(out, m)
		return true, false, nil
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %s (read at most -max %d)", ErrDeadNotFound, id, dl.max())
	}
	return err
}

func show(out io.Writer, m deadLetter) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	line("id", m.ID)
	line("kind", m.Kind)
	line("reason", m.Reason)
	line("from", m.Queue)
	if !m.At.IsZero() {
		line("at", m.At.UTC().Format(time.RFC3339))
	}
	line("content_type", m.ContentType)
	line("size", strconv.Itoa(m.Size))
	line("sha256", m.SHA256)
	line("user_id", m.UserID)
	line("disclosure_id", m.Disclosure)
	if m.Count > 0 {
		line("dead_lettered", strconv.FormatInt(m.Count, 10)+" time(s)")
	}
	line("detail", m.Detail)
	_ = tw.Flush()
	fmt.Fprintln(out, "headers:")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, k := range sortedKeys(m.d.Headers) {
		if s, ok := headerText(m.d.Headers[k]); ok {
			fmt.Fprintf(tw, "  %s\t%s\n", k, s)
		}
	}
	_ = tw.Flush()
	switch m.Kind {
	case "parked":
		fmt.Fprintf(out, "summary: %s\n", strings.TrimSpace(string(m.d.Body)))
		fmt.Fprintln(out, "replay: not possible, only this summary is kept")
	case "dead-lettered":
		fmt.Fprintln(out, "body: kept, not shown (it may hold personal data)")
		if _, err := replayTarget(m); err == nil {
			fmt.Fprintln(out, "replay: possible (sluis dead -operator ID replay "+m.ID+")")
		} else {
			fmt.Fprintln(out, "replay: not possible: "+err.Error())
		}
	}
}

// headerText renders a header value that is text or a number; tables and
// lists (x-death) are summarised by show itself.
func headerText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64, int32, int16, int8, int, bool, float64:
		return fmt.Sprint(x), true
	}
	return "", false
}

func sortedKeys(t amqp091.Table) []string {
	ks := make([]string, 0, len(t))
	for k := range t {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// target is where a replayed message goes.
type target struct{ exchange, key string }

// replayTarget is where m goes back to: the intake for a disclosure
// request or consent command, the outbound exchange (with the AGB code)
// for a provider's signed message. Everything else is refused.
func replayTarget(m deadLetter) (target, error) {
	switch {
	case m.Kind == "parked":
		return target{}, ErrSummaryOnly
	case m.Kind != "dead-lettered":
		return target{}, ErrReplayOrigin
	}
	q := m.Queue
	switch {
	case q == amqp.QueueDisclosures:
		return target{amqp.ExchangeIntake, amqp.KeyDisclosure}, nil
	case q == amqp.QueueConsents:
		return target{amqp.ExchangeIntake, amqp.KeyConsent}, nil
	case strings.HasPrefix(q, amqp.RetourQueuePrefix), q == amqp.QueueInbound:
		return target{}, ErrReplayRetour
	case strings.HasPrefix(q, amqp.ProviderQueuePrefix) && messages.ValidAGB(strings.TrimPrefix(q, amqp.ProviderQueuePrefix)):
		return target{amqp.ExchangeOutbound, strings.TrimPrefix(q, amqp.ProviderQueuePrefix)}, nil
	}
	return target{}, ErrReplayOrigin
}

// Replay republishes the message with id to where it came from, then
// takes it off sluis.dead; see replayTarget for what is refused. The
// ledger entry dead:replayed (operator as actor staff:<operator>
// role:operator) is written first: without it nothing is published.
func (dl DeadLetters) Replay(ctx context.Context, out io.Writer, id, operator string) error {
	if !operatorID.MatchString(operator) {
		return ErrNoOperator
	}
	if dl.Ledger == nil || dl.Systems == nil || dl.GatewayUser == "" {
		return errors.New("dead replay: ledger, systems and gateway user are required")
	}
	ctx = actor.With(ctx, actor.Staff(operator, string(identity.RoleOperator), ""))
	found := false
	_, _, err := dl.browse(ctx, func(conn *amqp091.Connection, m deadLetter) (bool, bool, error) {
		if m.ID != id {
			return false, false, nil
		}
		found = true
		took, err := dl.replay(ctx, out, conn, m)
		return true, took, err
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: %s (read at most -max %d)", ErrDeadNotFound, id, dl.max())
	}
	return err
}

func (dl DeadLetters) replay(ctx context.Context, out io.Writer, conn *amqp091.Connection, m deadLetter) (took bool, err error) {
	to, err := replayTarget(m)
	if err != nil {
		return false, fmt.Errorf("replay %s: %w", m.ID, err)
	}
	pub := republishing(m.d)
	pub.UserId = dl.GatewayUser
	detail := map[string]string{
		"message_id": m.ID, "from_queue": m.Queue, "reason": m.Reason,
		"to_exchange": to.exchange, "routing_key": to.key, "sha256": m.SHA256,
	}
	disclosureID := ""
	if to.exchange == amqp.ExchangeIntake {
		// The gateway trusts the system header only on its own user-id:
		// name the system the original, broker-validated user-id was.
		sys, err := dl.publisherSystem(m)
		if err != nil {
			return false, fmt.Errorf("replay %s: %w", m.ID, err)
		}
		pub.Headers[string(bus.System)] = sys
		detail["system"], detail["original_user_id"] = sys, orDash(m.UserID)
		disclosureID = m.Disclosure
	}
	if _, err := dl.Ledger.Append(ctx, disclosureID, EventDeadReplayed, detail); err != nil {
		return false, fmt.Errorf("ledger: %w: nothing replayed", err)
	}
	if err := publishConfirmed(ctx, conn, to.exchange, to.key, pub); err != nil {
		detail["error"] = err.Error()
		if _, lerr := dl.Ledger.Append(ctx, disclosureID, EventDeadReplayError, detail); lerr != nil {
			return false, fmt.Errorf("replay %s: %w; and the ledger: %v", m.ID, err, lerr)
		}
		return false, fmt.Errorf("replay %s: %w: it stays on %s", m.ID, err, amqp.QueueDead)
	}
	if err := m.d.Ack(false); err != nil {
		return true, fmt.Errorf("replayed %s to %s, but taking it off %s failed (it is still there; do not replay it again): %w", m.ID, to.exchange, amqp.QueueDead, err)
	}
	fmt.Fprintf(out, "replayed %s from %s to %s (routing key %s), broker confirmed; removed from %s; ledger %s\n",
		m.ID, m.Queue, to.exchange, to.key, amqp.QueueDead, EventDeadReplayed)
	return true, nil
}

// publisherSystem is the registration system whose message m was, as the
// gateway decides it (internal/app principals): the system header when the
// gateway itself published it (user-id the gateway's), else the system of
// its broker-validated user-id.
func (dl DeadLetters) publisherSystem(m deadLetter) (string, error) {
	if s, ok := m.d.Headers[string(bus.System)].(string); ok && s != "" && m.UserID == dl.GatewayUser {
		if _, err := dl.Systems.Get(s); err != nil {
			return "", fmt.Errorf("%w (system %s)", ErrReplayPublisher, s)
		}
		return s, nil
	}
	if m.UserID == "" {
		return "", fmt.Errorf("%w (no user-id)", ErrReplayPublisher)
	}
	s, err := dl.Systems.ByBrokerUser(m.UserID)
	if err != nil {
		return "", fmt.Errorf("%w (user %s)", ErrReplayPublisher, m.UserID)
	}
	return s.ID, nil
}

// republishing is d as it was first published: its body, content type,
// message id and headers, without the broker's dead-letter headers.
func republishing(d amqp091.Delivery) amqp091.Publishing {
	h := amqp091.Table{}
	for k, v := range d.Headers {
		if k == "x-death" || k == "x-delivery-count" || strings.HasPrefix(k, "x-first-death-") || strings.HasPrefix(k, "x-last-death-") {
			continue
		}
		h[k] = v
	}
	return amqp091.Publishing{
		Headers: h, ContentType: d.ContentType, ContentEncoding: d.ContentEncoding,
		DeliveryMode: amqp091.Persistent, CorrelationId: d.CorrelationId, MessageId: d.MessageId,
		Timestamp: d.Timestamp, Type: d.Type, AppId: d.AppId, Body: d.Body,
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ErrReplayNotTaken: the broker did not take the republished message
// (nacked, or no queue is bound for its routing key).
var ErrReplayNotTaken = errors.New("the broker did not take the republished message")

// publishConfirmed publishes pub (mandatory) on a channel of its own in
// confirm mode and returns once the broker confirmed it and a queue took
// it.
func publishConfirmed(ctx context.Context, conn *amqp091.Connection, exchange, key string, pub amqp091.Publishing) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("confirm mode: %w", err)
	}
	// The broker sends basic.return before the confirm, and amqp091
	// hands both over in that order.
	returns := ch.NotifyReturn(make(chan amqp091.Return, 1))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, pub)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", exchange, err)
	}
	acked, err := dc.WaitContext(ctx)
	if err != nil {
		return fmt.Errorf("confirm of %s: %w", exchange, err)
	}
	select {
	case r := <-returns:
		return fmt.Errorf("%w: %s returned it (%d %s)", ErrReplayNotTaken, exchange, r.ReplyCode, r.ReplyText)
	default:
	}
	if !acked {
		return fmt.Errorf("%w: %s nacked it", ErrReplayNotTaken, exchange)
	}
	return nil
}
