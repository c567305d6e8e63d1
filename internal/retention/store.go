package retention

import (
	"context"
	"strconv"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Client is one client of one municipality: the unit of destruction. Each
// municipality is the controller of its own records (its disclosures, its
// register under consent.RegisterKey), so what one holds never keeps or
// destroys another's; only the archive key is the client's across
// municipalities, and it is shredded when no disclosure of the client is
// left anywhere.
type Client struct {
	Municipality string
	// ClientKey is the keyed BSN hash (receipts.Record.ClientKey).
	ClientKey string
}

// ConsentRow is a consent as the register keeps it, with what retention
// needs: when it ended.
type ConsentRow struct {
	// ID is the stored id (consent.StoredConsentID).
	ID          string
	SingleShare bool
	ValidUntil  time.Time // zero: no period
	UsedBy      string    // the disclosure that used a single-share consent
	UsedAt      time.Time // zero: not used
	WithdrawnAt time.Time // zero: not withdrawn
}

// Ended is when the consent ended: the first of its withdrawal, its use
// (single share) and the day after the last day of its period; ok is false
// while it has not ended.
func (c ConsentRow) Ended() (time.Time, bool) {
	var first time.Time
	for _, t := range []time.Time{c.WithdrawnAt, c.UsedAt, dayAfter(c.ValidUntil)} {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first.UTC(), !first.IsZero()
}

func dayAfter(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.AddDate(0, 0, 1)
}

// Pause is a restriction of processing (AVG art. 18) or an objection
// (art. 21) as the store keeps it.
type Pause struct {
	// ID is the row id, as in the ledger entries' restriction_id or
	// objection_id.
	ID       int64
	From     time.Time
	LiftedAt time.Time // zero: in force
}

// Representative is the legal representative mark of a client.
type Representative struct {
	Recorded  bool
	UpdatedAt time.Time
}

// Register is one municipality's consent register of one client.
type Register struct {
	Consents     []ConsentRow
	Restrictions []Pause
	Objections   []Pause
	// Representative is nil when none was ever set.
	Representative *Representative
}

// Destruction is what to destroy, in one transaction (Store.RetentionDestroy).
// Every id is matched together with Client, so a wrong id never reaches
// another client's rows.
type Destruction struct {
	// Client: the disclosures' municipality and client key, and the
	// register rows' (consent.RegisterKey of both). ClientKey is empty only
	// for disclosures without a client, or inbound messages only.
	Client Client
	// DisclosureIDs go with their archive entries and review items.
	DisclosureIDs  []string
	ConsentIDs     []string // stored ids
	RestrictionIDs []int64
	ObjectionIDs   []int64
	// Representative deletes the client's legal representative mark.
	Representative bool
	// InboundIDs are providers' inbound messages of Client.Municipality.
	InboundIDs []string
	// At is the moment of the destruction (the archive key's shred time).
	At time.Time
	// Event and Detail are the ledger entry the store writes in the same
	// transaction when anything was deleted or shredded; the store adds
	// the counts (Destroyed.Detail) to Detail.
	Event  string
	Detail map[string]string
}

// Destroyed is what a destruction deleted.
type Destroyed struct {
	// Disclosures, their archived messages and review items, and inbound
	// messages count by standard.
	Disclosures      map[string]int
	ArchivedMessages map[string]int
	ReviewItems      map[string]int
	Inbound          map[string]int
	Consents         int
	Restrictions     int
	Objections       int
	Representative   int
	// Shredded: the client's archive key was shredded (no disclosure of
	// the client is left in any municipality).
	Shredded bool
}

// Any reports whether anything was deleted or shredded.
func (d Destroyed) Any() bool {
	return sum(d.Disclosures) > 0 || sum(d.Inbound) > 0 || sum(d.ArchivedMessages) > 0 || sum(d.ReviewItems) > 0 ||
		d.Consents > 0 || d.Restrictions > 0 || d.Objections > 0 || d.Representative > 0 || d.Shredded
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Overdue is a group of records due at some cutoffs and still held, as the
// store counts them (Store.RetentionOverdue).
type Overdue struct {
	Municipality string
	Kind         Kind
	// Standard for disclosures and inbound messages; "" for register rows.
	Standard string
	Records  int
	// Oldest is when the oldest was made (disclosures, inbound messages)
	// or ended (register rows).
	Oldest time.Time
}

// Store is what retention needs of the store beyond the ports it shares
// with the rest of sluis (Records, ArchiveLister, Ledger, ledger.Redactor).
// Implementations are safe for concurrent use, also by several sluis
// processes on one database: two instances destroying the same client at
// once delete each row once, and the second writes no ledger entry.
type Store interface {
	// RetentionDue returns, in (municipality, client key) order after
	// after, at most limit clients of which something is due at c: a
	// disclosure made at or before c.Made[its standard], or a register row
	// ended at or before c.Register — a consent only when no disclosure of
	// the client that is not due relied on it (used it, or names it in its
	// state:allowed ledger entry), a legal representative mark only when
	// nothing else of the client is left. Disclosures without a client key
	// are left to RetentionUnkeyed.
	RetentionDue(ctx context.Context, c Cutoffs, after Client, limit int) ([]Client, error)
	// RetentionRegister returns one municipality's register of a client
	// (under consent.RegisterKey(c.Municipality, c.ClientKey)); none is an
	// empty Register.
	RetentionRegister(ctx context.Context, c Client) (Register, error)
	// RetentionUnkeyed returns disclosures without a client key made at or
	// before c.Made[their standard], oldest first, at most limit.
	RetentionUnkeyed(ctx context.Context, c Cutoffs, limit int) ([]receipts.Record, error)
	// RetentionInbound returns providers' inbound messages received at or
	// before c.Made[their standard], oldest first, at most limit.
	RetentionInbound(ctx context.Context, c Cutoffs, limit int) ([]inbound.Record, error)
	// RetentionDestroy deletes what d names, in one transaction with its
	// ledger entry (actor from ctx; without one actor.ErrMissing and
	// nothing changes): the disclosures (of d.Client) with their archive
	// entries and review items, the register rows, the inbound messages;
	// then, when d.Client has a client key and no disclosure of it is
	// left in any municipality, it shreds the client's archive keys
	// (archive.Store.ArchiveShred). Ids that are gone (destroyed before)
	// are skipped. Nothing deleted and nothing shredded: no entry.
	RetentionDestroy(ctx context.Context, d Destruction) (Destroyed, error)
	// RetentionOverdue counts what RetentionDue, RetentionUnkeyed and
	// RetentionInbound would find at c, per municipality, kind and
	// standard, with the oldest. Consents count when no disclosure of the
	// client that is not due is left (a cheaper test than reliance: it
	// may count fewer, never more).
	RetentionOverdue(ctx context.Context, c Cutoffs) ([]Overdue, error)
}

// Records reads a client's disclosures of one municipality
// (rights.Records).
type Records interface {
	ByClient(ctx context.Context, municipality, clientKey string) ([]receipts.Record, error)
}

// ArchiveLister lists a client's archived messages (archive.Store).
type ArchiveLister interface {
	ArchiveList(ctx context.Context, clientKey string) ([]archive.Entry, error)
}

// Ledger reads the entries of a disclosure (for the consents it relied on)
// and appends the entry of an erasure that destroyed nothing.
type Ledger interface {
	EntriesFor(ctx context.Context, disclosureID string) ([]ledger.Entry, error)
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Detail is the ledger detail of d: a count per kind (per standard for
// disclosures, archived messages, review items and inbound messages, keys
// such as "disclosures_iJw"), only for what was destroyed, and "shredded"
// when the archive key was. Never an id or a client key.
func (d Destroyed) Detail() map[string]string {
	out := map[string]string{}
	perStd := func(name string, m map[string]int) {
		for std, n := range m {
			if n > 0 {
				out[name+"_"+std] = strconv.Itoa(n)
			}
		}
	}
	perStd("disclosures", d.Disclosures)
	perStd("archived_messages", d.ArchivedMessages)
	perStd("review_items", d.ReviewItems)
	perStd("inbound_messages", d.Inbound)
	for name, n := range map[string]int{"consents": d.Consents, "restrictions": d.Restrictions,
		"objections": d.Objections, "legal_representative": d.Representative} {
		if n > 0 {
			out[name] = strconv.Itoa(n)
		}
	}
	if d.Shredded {
		out["archive_key_shredded"] = "true"
	}
	return out
}
