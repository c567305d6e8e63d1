package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/review"
)

// EventReviewsRead is the ledger event of a read of the review list: who
// (the ledger actor, the coordinator), for which municipality, and how many
// overrides were listed. It holds no client data.
const EventReviewsRead = "reviews_read"

// Review is one disclosure shared on a safety override: the coordinator
// reviews it and checks the client was informed.
type Review struct {
	DisclosureID     string    `json:"disclosure_id"`
	At               time.Time `json:"at"`
	Actor            string    `json:"actor"`
	FollowUps        string    `json:"follow_ups,omitempty"`
	InformClientDue  string    `json:"inform_client_due,omitempty"`
	InformImpossible bool      `json:"inform_client_not_possible,omitempty"`
	LedgerSeq        int64     `json:"ledger_seq"`
}

// getReviews lists the allowed safety overrides of the coordinator's
// municipality (identity.MayReadFor), oldest first (review.Overrides), and
// writes the read to the ledger before answering.
func (s *Server) getReviews(w http.ResponseWriter, r *http.Request) {
	staff, err := identity.StaffFrom(r.Context())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, problemResponse{Error: err.Error()})
		return
	}
	if err := identity.MayReadFor(staff, staff.Municipality); err != nil {
		writeJSON(w, http.StatusForbidden, problemResponse{Error: err.Error()})
		return
	}
	found, err := review.Overrides(r.Context(), s.ledger)
	if err != nil {
		s.log.Error("read ledger", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not read the ledger"})
		return
	}
	out := []Review{}
	for _, o := range found {
		rec, err := s.receipts.Get(r.Context(), o.DisclosureID)
		if err != nil && !errors.Is(err, receipts.ErrNotFound) {
			s.log.Error("read receipt for review", "disclosure_id", o.DisclosureID, "err", err)
			writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not read the receipts"})
			return
		}
		if err == nil && identity.MayReadFor(staff, rec.Municipality) == nil {
			out = append(out, Review(o))
		}
	}
	if _, err := s.appender.Append(r.Context(), "", EventReviewsRead, map[string]string{
		"municipality": staff.Municipality, "count": strconv.Itoa(len(out)),
	}); err != nil {
		s.log.Error("ledger: review list read", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not record the read; try again"})
		return
	}
	writeJSON(w, http.StatusOK, out)
}
