// Package http is sluis's HTTP face: the intake (POST /v1/disclosures), the
// receipts query (GET /v1/disclosures/{id}), /metrics and /healthz.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/review"
)

// Intake hands a checked request to the intake queue, returning once the
// broker confirmed it (so a 202 means it will not be lost).
type Intake interface {
	Enqueue(ctx context.Context, id string, body []byte) error
}

// Receipts reads where a disclosure is.
type Receipts interface {
	Get(ctx context.Context, disclosureID string) (receipts.Record, error)
	RecordInvalid(ctx context.Context, r receipts.InvalidRequest) error
}

// Consents applies consent register commands and reports the outcome as a
// status event (State consent_applied, consent_invalid or consent_refused).
type Consents interface {
	Process(ctx context.Context, payload []byte) (bus.Event, error)
}

// Ledger reads the ledger, for the coordinator's review list.
type Ledger = review.Ledger

// Check is one health check; nil means healthy.
type Check func(ctx context.Context) error

// Server is the HTTP handler set.
type Server struct {
	dec      *disclosure.Decoder
	intake   Intake
	receipts Receipts
	gatherer prometheus.Gatherer
	checks   map[string]Check
	consents Consents
	ledger   Ledger
	pprof    bool
	log      *slog.Logger
	now      func() time.Time
}

// New builds the handlers.
func New(dec *disclosure.Decoder, in Intake, rs Receipts, g prometheus.Gatherer, checks map[string]Check, log *slog.Logger) (*Server, error) {
	if dec == nil || in == nil || rs == nil || g == nil {
		return nil, errors.New("http: decoder, intake, receipts and gatherer are required")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Server{dec: dec, intake: in, receipts: rs, gatherer: g, checks: checks, log: log, now: time.Now}, nil
}

// WithConsents enables POST /v1/consents.
func (s *Server) WithConsents(c Consents) *Server {
	s.consents = c
	return s
}

// WithPprof enables Go's runtime profiles under /debug/pprof/.
func (s *Server) WithPprof(on bool) *Server {
	s.pprof = on
	return s
}

// WithReviews enables GET /v1/reviews, the coordinator's list of safety
// overrides to review.
func (s *Server) WithReviews(l Ledger) *Server {
	s.ledger = l
	return s
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/disclosures", s.postDisclosure)
	mux.HandleFunc("GET /v1/disclosures/{id}", s.getDisclosure)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", s.healthz)
	if s.consents != nil {
		mux.HandleFunc("POST /v1/consents", s.postConsent)
	}
	if s.ledger != nil {
		mux.HandleFunc("GET /v1/reviews", s.getReviews)
	}
	if s.pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

type problemResponse struct {
	Error    string               `json:"error"`
	Problems []disclosure.Problem `json:"problems,omitempty"`
}

type acceptedResponse struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Href   string `json:"href"`
}

func (s *Server) postDisclosure(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, disclosure.MaxRequestBytes+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "could not read the request body"})
		return
	}
	req, err := s.dec.Decode(body)
	if err != nil {
		var inv *disclosure.InvalidError
		if !errors.As(err, &inv) {
			writeJSON(w, http.StatusInternalServerError, problemResponse{Error: "could not check the request"})
			return
		}
		env := disclosure.Peek(body)
		ctx := actor.With(r.Context(), actor.Sender(env.System, env.Municipality))
		if err := s.receipts.RecordInvalid(ctx, receipts.InvalidRequest{
			DisclosureID: env.ID, Municipality: env.Municipality, System: env.System,
			Reason: inv.Error(), ReceivedAt: s.now(),
		}); err != nil {
			s.log.Error("record invalid request", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not record the request; try again"})
			return
		}
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: disclosure.ErrInvalid.Error(), Problems: inv.Problems})
		return
	}
	if err := s.intake.Enqueue(r.Context(), req.ID, body); err != nil {
		s.log.Error("enqueue disclosure", "disclosure_id", req.ID, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "the intake queue did not confirm the request; try again with the same id"})
		return
	}
	href := "/v1/disclosures/" + req.ID
	w.Header().Set("Location", href)
	writeJSON(w, http.StatusAccepted, acceptedResponse{ID: req.ID, Status: "accepted for processing", Href: href})
}

// Receipt is the public view of a record: states and times, ids and codes.
type Receipt struct {
	ID            string               `json:"id"`
	State         string               `json:"state"`
	Municipality  string               `json:"municipality"`
	System        string               `json:"system"`
	Recipient     string               `json:"recipient"`
	Standard      string               `json:"standard"`
	MessageType   string               `json:"message_type"`
	Purpose       string               `json:"purpose"`
	Basis         string               `json:"basis"`
	Identificatie string               `json:"identificatie"`
	MessageID     string               `json:"message_id"`
	Reason        string               `json:"reason,omitempty"`
	ReasonCodes   []string             `json:"reason_codes,omitempty"`
	RetourCodes   []string             `json:"retour_codes,omitempty"`
	At            map[string]time.Time `json:"at"`
}

// ReceiptOf renders a record.
func ReceiptOf(rec receipts.Record) Receipt {
	at := make(map[string]time.Time, len(rec.At))
	for s, t := range rec.At {
		at[string(s)] = t
	}
	return Receipt{
		ID: rec.DisclosureID, State: string(rec.State), Municipality: rec.Municipality, System: rec.System,
		Recipient: rec.Recipient, Standard: rec.Standard, MessageType: rec.MessageType, Purpose: rec.Purpose,
		Basis: rec.Basis, Identificatie: rec.Identificatie, MessageID: rec.MessageID, Reason: rec.Reason,
		ReasonCodes: rec.ReasonCodes, RetourCodes: rec.RetourCodes, At: at,
	}
}

func (s *Server) getDisclosure(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := s.receipts.Get(r.Context(), id)
	switch {
	case errors.Is(err, receipts.ErrNotFound):
		writeJSON(w, http.StatusNotFound, problemResponse{Error: "no disclosure with this id"})
	case err != nil:
		s.log.Error("get receipt", "disclosure_id", id, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not read the receipt"})
	default:
		writeJSON(w, http.StatusOK, ReceiptOf(rec))
	}
}

func (s *Server) postConsent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "could not read the request body"})
		return
	}
	ev, err := s.consents.Process(r.Context(), body)
	if err != nil {
		s.log.Error("consent command", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not apply the command; try again with the same id"})
		return
	}
	switch ev.State {
	case "consent_applied":
		writeJSON(w, http.StatusOK, ev)
	case "consent_invalid":
		writeJSON(w, http.StatusBadRequest, ev)
	default:
		writeJSON(w, http.StatusConflict, ev)
	}
}

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

// getReviews lists every allowed safety override, oldest first
// (review.Overrides).
func (s *Server) getReviews(w http.ResponseWriter, r *http.Request) {
	found, err := review.Overrides(r.Context(), s.ledger)
	if err != nil {
		s.log.Error("read ledger", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not read the ledger"})
		return
	}
	out := make([]Review, len(found))
	for i, o := range found {
		out[i] = Review(o)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	res := map[string]string{}
	code := http.StatusOK
	for name, check := range s.checks {
		if err := check(ctx); err != nil {
			res[name] = "fail: " + err.Error()
			code = http.StatusServiceUnavailable
		} else {
			res[name] = "ok"
		}
	}
	writeJSON(w, code, res)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // a write error means the client went away

}
