package retention

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// ErasureVersion is the version of the erasure answer.
const ErasureVersion = 1

// Erasure is the answer to an erasure request: what was destroyed and, per
// kind kept, why. It counts; it names no record and no client, so it does
// not tell whether the BSN was known (an unknown client is "erased" with
// nothing destroyed).
type Erasure struct {
	Version          int       `json:"version"`
	GeneratedAt      time.Time `json:"generated_at"`
	Municipality     string    `json:"municipality"`
	RequestReference string    `json:"request_reference"`
	// Outcome: erased (nothing of the client is kept), partial (some
	// destroyed, some kept), refused (nothing destroyed: a disclosure is
	// in progress, or everything is under a retention duty).
	Outcome string `json:"outcome"`
	// Destroyed counts what was destroyed, by kind (every kind listed).
	Destroyed map[Kind]int `json:"destroyed"`
	// ArchiveKeyShredded: the client's archive key was destroyed (nothing
	// of the client is left in any municipality).
	ArchiveKeyShredded bool `json:"archive_key_shredded"`
	// Kept lists per kind and reason how many records are kept.
	Kept []KeptCount `json:"kept"`
}

// KeptCount is how many records of a kind are kept, and why.
type KeptCount struct {
	Kind   Kind   `json:"kind"`
	Reason Reason `json:"reason"`
	Count  int    `json:"count"`
}

// Erase answers a client's erasure request (AVG art. 17) for the asking
// staff member's municipality: it destroys what no retention duty keeps
// (PlanErasure) with the machinery of the job (ledger redaction first,
// then the rows, the archive key when nothing of the client is left), and
// records the request and its outcome in the ledger (rights:erasure, in
// the destruction's transaction, or on its own when nothing was
// destroyed) before answering. A bad question is a *rights.RequestError;
// a store, ledger or redaction failure wraps rights.ErrUnavailable.
func (s *Service) Erase(ctx context.Context, asker rights.Asker, q rights.Question) (Erasure, error) {
	if err := q.Check(); err != nil {
		return Erasure{}, err
	}
	if err := asker.Check(); err != nil {
		return Erasure{}, err
	}
	if s.clientKey == nil {
		return Erasure{}, fmt.Errorf("%w: erasure: no client key", rights.ErrUnavailable)
	}
	now := s.now().UTC()
	c := Client{Municipality: asker.Municipality, ClientKey: s.clientKey(q.BSN)}
	h, err := s.Holdings(ctx, c)
	if err != nil {
		return Erasure{}, fmt.Errorf("%w: %w", rights.ErrUnavailable, err)
	}
	p := PlanErasure(h, now)
	out := Erasure{Version: ErasureVersion, GeneratedAt: now, Municipality: c.Municipality,
		RequestReference: q.Reference, Destroyed: map[Kind]int{}, Kept: keptCounts(p.Kept)}
	for _, k := range Kinds {
		if k != KindInbound {
			out.Destroyed[k] = 0
		}
	}
	out.Outcome = OutcomeOf(p)
	detail := map[string]string{"request_reference": q.Reference, "outcome": out.Outcome, "cause": CauseErasure}
	for _, k := range out.Kept {
		detail["kept_"+string(k.Kind)+"_"+string(k.Reason)] = strconv.Itoa(k.Count)
	}
	var d Destroyed
	if !p.Empty() {
		if d, err = s.destroy(ctx, c, p, nil, ledger.EventRightsErasure, detail, now); err != nil {
			return Erasure{}, fmt.Errorf("%w: %w", rights.ErrUnavailable, err)
		}
		s.metrics.count(d, CauseErasure)
	}
	if !d.Any() {
		// Nothing destroyed (refused, nothing held, or another instance
		// destroyed it first): the request is recorded on its own.
		detail["municipality"] = c.Municipality
		if _, err := s.ledger.Append(ctx, "", ledger.EventRightsErasure, detail); err != nil {
			return Erasure{}, fmt.Errorf("%w: record the erasure: %w", rights.ErrUnavailable, err)
		}
	}
	out.Destroyed[KindDisclosure] = sum(d.Disclosures)
	out.Destroyed[KindArchived] = sum(d.ArchivedMessages)
	out.Destroyed[KindReviewItem] = sum(d.ReviewItems)
	out.Destroyed[KindConsent] = d.Consents
	out.Destroyed[KindRestriction] = d.Restrictions
	out.Destroyed[KindObjection] = d.Objections
	out.Destroyed[KindRepresentative] = d.Representative
	out.ArchiveKeyShredded = d.Shredded
	s.metrics.erasures.WithLabelValues(out.Outcome).Inc()
	return out, nil
}

// OutcomeOf is the outcome of an erasure that carries out p.
func OutcomeOf(p Plan) string {
	switch {
	case p.InProgress:
		return OutcomeRefused
	case len(p.Kept) == 0:
		return OutcomeErased
	case p.Empty():
		return OutcomeRefused
	}
	return OutcomePartial
}

// keptCounts counts kept records per kind and reason, in a stable order.
func keptCounts(kept []Kept) []KeptCount {
	out := []KeptCount{}
	for _, k := range kept {
		i := slices.IndexFunc(out, func(c KeptCount) bool { return c.Kind == k.Kind && c.Reason == k.Reason })
		if i < 0 {
			out = append(out, KeptCount{Kind: k.Kind, Reason: k.Reason})
			i = len(out) - 1
		}
		out[i].Count++
	}
	slices.SortFunc(out, func(a, b KeptCount) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(string(a.Reason), string(b.Reason))
	})
	return out
}
