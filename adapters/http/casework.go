package http

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// Casework is the staff's casework (internal/casework.Service).
type Casework interface {
	RequestHumanReview(ctx context.Context, staff identity.Staff, disclosureID, reference string) (casework.Item, bool, error)
	Judge(ctx context.Context, staff identity.Staff, itemID, outcome, reference string) (casework.Item, error)
	RecordInformed(ctx context.Context, staff identity.Staff, disclosureID, outcome, reason, reference string) (casework.Item, error)
	List(ctx context.Context, staff identity.Staff, kind casework.Kind, openOnly bool) ([]casework.Item, error)
	ReadArchive(ctx context.Context, staff identity.Staff, disclosureID, reason, reference string) (casework.Read, error)
}

// WithCasework enables the casework routes (docs/client-rights.md): human
// reviews, the review items and their judgement, the inform-client
// follow-up and reads of archived content; staff tokens verified by v.
func (s *Server) WithCasework(c Casework, v Staff) *Server {
	s.casework, s.staff = c, v
	return s
}

func (s *Server) caseworkRoutes(mux *routeList) {
	staff := func(h http.HandlerFunc, roles ...identity.Role) http.Handler {
		return identity.RequireStaff(s.staff, identity.RequireRole(roles...)(h))
	}
	mux.Handle("POST /v1/human-reviews", staff(s.postHumanReview, staffRoles...))
	mux.Handle("GET /v1/review-items", staff(s.getReviewItems, identity.RoleCoordinator))
	mux.Handle("POST /v1/review-items/{id}/judgement", staff(s.postJudgement, identity.RoleCoordinator))
	mux.Handle("POST /v1/follow-ups/inform-client", staff(s.postInformed, identity.RoleEmployee, identity.RoleCoordinator))
	mux.Handle("POST /v1/archive/read", staff(s.postArchiveRead, staffRoles...))
}

// ItemView is a review item as the API shows it.
type ItemView struct {
	ID               string     `json:"id"`
	Kind             string     `json:"kind"`
	DisclosureID     string     `json:"disclosure_id"`
	Municipality     string     `json:"municipality"`
	OpenedAt         time.Time  `json:"opened_at"`
	OpenedBy         string     `json:"opened_by"`
	Due              *time.Time `json:"due,omitempty"`
	Overdue          bool       `json:"overdue"`
	Reason           string     `json:"reason,omitempty"`
	Reference        string     `json:"reference,omitempty"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	ClosedBy         string     `json:"closed_by,omitempty"`
	Outcome          string     `json:"outcome,omitempty"`
	OutcomeReason    string     `json:"outcome_reason,omitempty"`
	OutcomeReference string     `json:"outcome_reference,omitempty"`
}

func viewOf(it casework.Item, now time.Time) ItemView {
	return ItemView{ID: it.ID, Kind: string(it.Kind), DisclosureID: it.DisclosureID, Municipality: it.Municipality,
		OpenedAt: it.OpenedAt, OpenedBy: it.OpenedBy, Due: it.Due, Overdue: it.Overdue(now), Reason: it.Reason,
		Reference: it.Reference, ClosedAt: it.ClosedAt, ClosedBy: it.ClosedBy, Outcome: it.Outcome,
		OutcomeReason: it.OutcomeReason, OutcomeReference: it.OutcomeReference}
}

// caseworkError answers a failed casework call.
func (s *Server) caseworkError(w http.ResponseWriter, what string, err error) {
	var re *casework.RequestError
	switch {
	case errors.As(err, &re):
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: re.Error(), Field: re.Field})
	case errors.Is(err, identity.ErrRoleNotAllowed), errors.Is(err, identity.ErrMunicipalityNotAllowed), errors.Is(err, casework.ErrOwnItem):
		writeJSON(w, http.StatusForbidden, problemResponse{Error: err.Error()})
	case errors.Is(err, casework.ErrNoContent) && errors.Is(err, archive.ErrShredded):
		writeJSON(w, http.StatusGone, problemResponse{Error: "the archived content was shredded"})
	case errors.Is(err, casework.ErrNoContent):
		writeJSON(w, http.StatusNotFound, problemResponse{Error: "nothing of this disclosure is archived"})
	case errors.Is(err, casework.ErrNotFound):
		writeJSON(w, http.StatusNotFound, problemResponse{Error: "not found"})
	case errors.Is(err, casework.ErrClosed):
		writeJSON(w, http.StatusConflict, problemResponse{Error: casework.ErrClosed.Error()})
	case errors.Is(err, casework.ErrNotReviewable):
		writeJSON(w, http.StatusConflict, problemResponse{Error: casework.ErrNotReviewable.Error()})
	default:
		s.log.Error(what, "err", err) // ids and codes only
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not do or record this; try again"})
	}
}

type humanReviewRequest struct {
	DisclosureID string `json:"disclosure_id"`
	Reference    string `json:"request_reference"`
}

func (s *Server) postHumanReview(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	var q humanReviewRequest
	if !staffJSON(w, r, &q) {
		return
	}
	it, created, err := s.casework.RequestHumanReview(r.Context(), staff, q.DisclosureID, q.Reference)
	if err != nil {
		s.caseworkError(w, "human review", err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, viewOf(it, s.now()))
}

func (s *Server) getReviewItems(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	openOnly := true
	switch r.URL.Query().Get("state") {
	case "", "open":
	case "all":
		openOnly = false
	default:
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "state: one of open, all", Field: "state"})
		return
	}
	items, err := s.casework.List(r.Context(), staff, casework.Kind(r.URL.Query().Get("kind")), openOnly)
	if err != nil {
		s.caseworkError(w, "review items", err)
		return
	}
	now := s.now()
	out := make([]ItemView, len(items))
	for i, it := range items {
		out[i] = viewOf(it, now)
	}
	writeJSON(w, http.StatusOK, out)
}

type judgementRequest struct {
	Outcome   string `json:"outcome"`
	Reference string `json:"reference"`
}

func (s *Server) postJudgement(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	var q judgementRequest
	if !staffJSON(w, r, &q) {
		return
	}
	it, err := s.casework.Judge(r.Context(), staff, r.PathValue("id"), q.Outcome, q.Reference)
	if err != nil {
		s.caseworkError(w, "judgement", err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(it, s.now()))
}

type informedRequest struct {
	DisclosureID string `json:"disclosure_id"`
	Outcome      string `json:"outcome"`
	Reason       string `json:"reason"`
	Reference    string `json:"reference"`
}

func (s *Server) postInformed(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	var q informedRequest
	if !staffJSON(w, r, &q) {
		return
	}
	it, err := s.casework.RecordInformed(r.Context(), staff, q.DisclosureID, q.Outcome, q.Reason, q.Reference)
	if err != nil {
		s.caseworkError(w, "inform client", err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(it, s.now()))
}

type archiveReadRequest struct {
	DisclosureID string `json:"disclosure_id"`
	Reason       string `json:"reason"`
	Reference    string `json:"reference"`
}

type archiveReadResponse struct {
	DisclosureID string    `json:"disclosure_id"`
	ContentType  string    `json:"content_type"`
	Content      string    `json:"content"`
	BreakGlass   *ItemView `json:"break_glass,omitempty"`
}

func (s *Server) postArchiveRead(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	var q archiveReadRequest
	if !staffJSON(w, r, &q) {
		return
	}
	read, err := s.casework.ReadArchive(r.Context(), staff, q.DisclosureID, q.Reason, q.Reference)
	if err != nil {
		s.caseworkError(w, "archive read", err)
		return
	}
	out := archiveReadResponse{DisclosureID: read.DisclosureID, ContentType: read.ContentType, Content: string(read.Content)}
	if read.BreakGlass != nil {
		v := viewOf(*read.BreakGlass, s.now())
		out.BreakGlass = &v
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}
