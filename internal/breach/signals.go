package breach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
)

// ForgedBurst is how many forged retours (ForgedReasons) in one clock hour
// (UTC) make sluis propose a breach: someone holds, or tries, a provider's
// identity. A handful is a provider's misconfiguration; ten an hour is not.
const ForgedBurst = 10

// ForgedWindow is the window ForgedBurst counts in.
const ForgedWindow = time.Hour

// ForgedReasons are the park reasons of a retour that is not what it
// claims: its signature fails, it is signed by another certificate or
// another provider, or published from another provider's broker account.
var ForgedReasons = []retour.Reason{
	retour.ReasonBadSignature, retour.ReasonUntrusted, retour.ReasonSenderMismatch, retour.ReasonWrongPublisher,
}

// Signals turns what sluis sees into proposals for the register. Safe for
// concurrent use.
type Signals struct {
	reg *Register

	mu       sync.Mutex
	window   time.Time // start of the hour being counted
	count    int
	proposed bool
	reasons  map[retour.Reason]int
}

// NewSignals builds the signals of reg.
func NewSignals(reg *Register) *Signals {
	return &Signals{reg: reg, reasons: map[retour.Reason]int{}}
}

// RetourParked implements retour.Observer: a provider answering a
// disclosure sluis sent to another provider (provider_mismatch on a
// verified retour) is proposed as a breach of that disclosure's
// municipality; a burst of forged retours as a breach of the gateway.
func (s *Signals) RetourParked(ctx context.Context, p retour.ParkedRetour) error {
	ctx = actor.With(ctx, actor.System)
	switch {
	case p.Reason == retour.ReasonProviderMismatch && p.DisclosureID != "" && p.Signer != "":
		return s.wrongParty(ctx, p)
	case slices.Contains(ForgedReasons, p.Reason):
		return s.forged(ctx, p.Reason)
	}
	return nil
}

func (s *Signals) wrongParty(ctx context.Context, p retour.ParkedRetour) error {
	rec, err := s.reg.receipts.Get(ctx, p.DisclosureID)
	if errors.Is(err, receipts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("breach signal: %w", err)
	}
	_, created, err := s.reg.Propose(ctx, Proposal{
		Municipality: rec.Municipality, Source: SourceWrongParty,
		SignalKey: "wrong_party:" + p.DisclosureID + ":" + p.Signer,
		Signal: map[string]string{"disclosure_id": p.DisclosureID, "answered_by": p.Signer,
			"sent_to": rec.Recipient, "retour_message_id": p.MessageID, "park_reason": string(p.Reason)},
		Summary: fmt.Sprintf("Zorgaanbieder %s beantwoordde met een geldig ondertekend retourbericht bericht %s, dat sluis naar zorgaanbieder %s stuurde: het bericht kan bij de verkeerde partij zijn beland.",
			p.Signer, p.DisclosureID, rec.Recipient),
		Kinds: []string{KindConfidentiality}, DisclosureIDs: []string{p.DisclosureID},
	})
	if err != nil {
		return fmt.Errorf("breach signal: %w", err)
	}
	if created && s.reg.metrics != nil {
		s.reg.metrics.proposed.WithLabelValues(string(SourceWrongParty)).Inc()
	}
	return nil
}

func (s *Signals) forged(ctx context.Context, reason retour.Reason) error {
	now := s.reg.now().UTC()
	s.mu.Lock()
	if w := now.Truncate(ForgedWindow); !w.Equal(s.window) {
		s.window, s.count, s.proposed = w, 0, false
		clear(s.reasons)
	}
	s.count++
	s.reasons[reason]++
	if s.count < ForgedBurst || s.proposed {
		s.mu.Unlock()
		return nil
	}
	window, count := s.window, s.count
	signal := map[string]string{"window_start": window.Format(time.RFC3339), "count": strconv.Itoa(count)}
	for r, n := range s.reasons {
		signal["reason_"+string(r)] = strconv.Itoa(n)
	}
	s.mu.Unlock()
	_, created, err := s.reg.Propose(ctx, Proposal{
		Source: SourceForgedRetours, SignalKey: "forged_retours:" + window.Format(time.RFC3339),
		Signal: signal, OccurredFrom: window,
		Summary: fmt.Sprintf("%d of meer retourberichten in het uur vanaf %s UTC zijn niet wat ze beweren (handtekening, certificaat of afzender klopt niet): iemand gebruikt of probeert de identiteit van een zorgaanbieder.",
			ForgedBurst, window.Format("2006-01-02 15:04")),
		Kinds: []string{KindIntegrity},
	})
	if err != nil {
		return fmt.Errorf("breach signal: %w", err)
	}
	s.mu.Lock()
	if s.window.Equal(window) {
		s.proposed = true
	}
	s.mu.Unlock()
	if created && s.reg.metrics != nil {
		s.reg.metrics.proposed.WithLabelValues(string(SourceForgedRetours)).Inc()
	}
	return nil
}

// KeyCompromised proposes the breach of a signing key an operator declared
// compromised from since: every message signed since then can no longer be
// trusted by its recipients (integrity). The actor is the operator (ctx).
func (s *Signals) KeyCompromised(ctx context.Context, since time.Time, certificateSHA256 string) (Incident, bool, error) {
	now := s.reg.now().UTC()
	if since.IsZero() || since.After(now) {
		return Incident{}, false, invalid("since is required and not in the future", "het moment sinds wanneer ontbreekt of ligt in de toekomst")
	}
	if certificateSHA256 != "" && !isClientKey(certificateSHA256) { // same form: 64 lower-case hex
		return Incident{}, false, invalid("certificate_sha256 is 64 lower-case hex characters", "de vingerafdruk van het certificaat heeft niet de vorm van 64 hexadecimale tekens")
	}
	since = since.UTC().Truncate(time.Second)
	inc, created, err := s.reg.Propose(ctx, Proposal{
		Source: SourceKeyCompromised, SignalKey: "key_compromised:" + since.Format(time.RFC3339) + ":" + certificateSHA256,
		Signal: map[string]string{"since": since.Format(time.RFC3339), "certificate_sha256": certificateSHA256},
		Summary: fmt.Sprintf("De ondertekeningssleutel van sluis is als gecompromitteerd gemeld, vanaf %s UTC: berichten die sindsdien met deze sleutel zijn ondertekend, zijn niet meer betrouwbaar.",
			since.Format("2006-01-02 15:04")),
		Kinds: []string{KindIntegrity}, OccurredFrom: since,
	})
	if err != nil {
		return Incident{}, false, err
	}
	if created && s.reg.metrics != nil {
		s.reg.metrics.proposed.WithLabelValues(string(SourceKeyCompromised)).Inc()
	}
	return inc, created, nil
}

// RetentionOverdue proposes the breach of personal data a municipality
// holds past its retention: records whose retention term ended more than a
// year ago (the oldest at since) are still held, though the privacy
// statement has them destroyed within one year (docs/retention.md). One
// proposal per municipality and calendar month (UTC) of now: while the
// data stays, a new one each month. The signal counts; it names no record
// and no client.
func (s *Signals) RetentionOverdue(ctx context.Context, municipality string, since time.Time, records int, now time.Time) error {
	ctx = actor.With(ctx, actor.System)
	month := now.UTC().Format("2006-01")
	since = since.UTC().Truncate(time.Second)
	_, created, err := s.reg.Propose(ctx, Proposal{
		Municipality: municipality, Source: SourceRetentionOverdue,
		SignalKey: "retention_overdue:" + municipality + ":" + month,
		Signal: map[string]string{"month": month, "records": strconv.Itoa(records),
			"oldest_term_ended": since.Format(time.RFC3339)},
		Summary: fmt.Sprintf("sluis bewaart %d gegevens van gemeente %s langer dan hun bewaartermijn; de oudste termijn eindigde op %s UTC, meer dan een jaar geleden: ze hadden binnen een jaar vernietigd moeten zijn.",
			records, municipality, since.Format("2006-01-02")),
		Kinds: []string{KindConfidentiality}, OccurredFrom: since,
	})
	if err != nil {
		return fmt.Errorf("breach signal: %w", err)
	}
	if created && s.reg.metrics != nil {
		s.reg.metrics.proposed.WithLabelValues(string(SourceRetentionOverdue)).Inc()
	}
	return nil
}
