// Package http is sluis's HTTP face: the API over mutual TLS (the intake
// POST /v1/disclosures, the receipts query GET /v1/disclosures/{id}, consent
// commands, the coordinator's review list) and the admin listener
// (/metrics, /healthz, /livez, /readyz, pprof).
package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/problem"
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

// Registrar registers a checked request before it is enqueued, so an id
// already used for another request is refused while the caller waits
// (receipts.ErrConflict); a known id with the same request returns the
// stored record (created=false). pipeline.Pipeline implements it.
type Registrar interface {
	Register(ctx context.Context, sys identity.System, req disclosure.Request) (receipts.Record, bool, error)
}

// Counter counts the requests the API refuses (pipeline.Metrics).
type Counter interface {
	CountInvalid(channel string)
	CountRefused()
}

// Ledger reads the ledger, for the coordinator's review list.
type Ledger = review.Ledger

// Appender writes a ledger entry that is no state change (a read of the
// review list).
type Appender interface {
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Staff verifies staff bearer tokens (identity.TokenVerifier).
type Staff = identity.TokenVerifier

// Server is the API handler set: every route needs an authenticated
// principal (docs/security.md).
type Server struct {
	dec      *disclosure.Decoder
	intake   Intake
	receipts Receipts
	systems  *identity.Registry
	consents Consents
	ledger   Ledger
	appender Appender
	staff    Staff
	breaches *breach.Register
	signals  *breach.Signals
	rights   Rights
	eraser   Eraser
	casework Casework
	register Registrar
	counter  Counter
	log      *slog.Logger
	now      func() time.Time
}

// New builds the handlers; systems maps verified client certificates to
// registration systems.
func New(dec *disclosure.Decoder, in Intake, rs Receipts, systems *identity.Registry, log *slog.Logger) (*Server, error) {
	if dec == nil || in == nil || rs == nil || systems == nil {
		return nil, errors.New("http: decoder, intake, receipts and systems are required")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Server{dec: dec, intake: in, receipts: rs, systems: systems, log: log, now: time.Now}, nil
}

// WithConsents enables POST /v1/consents.
func (s *Server) WithConsents(c Consents) *Server {
	s.consents = c
	return s
}

// WithRegistrar registers every accepted request before it is enqueued
// (see Registrar) and counts refused requests on c; the gateway always
// sets both.
func (s *Server) WithRegistrar(r Registrar, c Counter) *Server {
	s.register, s.counter = r, c
	return s
}

// WithReviews enables GET /v1/reviews, the coordinator's list of safety
// overrides to review: staff tokens are verified by v, every read is
// appended to the ledger by a.
func (s *Server) WithReviews(l Ledger, a Appender, v Staff) *Server {
	s.ledger, s.appender, s.staff = l, a, v
	return s
}

// route is one pattern of the API's ServeMux and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// Handler returns the routes behind authentication: registration systems'
// routes need a verified client certificate of a registered system
// (identity.RequireSystem), the review list a coordinator's bearer token
// (identity.RequireStaff, RequireRole); the API description and the
// contract schemas are served to any client the TLS layer verified. A
// request no route takes is a 404 or 405 problem (problem.Fallback).
// It records the route a request matched for Metrics.Instrument.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		mux.Handle(r.pattern, r.handler)
	}
	return recordRoute(mux, problem.Fallback(mux))
}

// Patterns are the ServeMux patterns Handler routes, in order: the list
// docs/api/openapi.json must describe (a test walks it).
func (s *Server) Patterns() []string {
	var out []string
	for _, r := range s.routes() {
		out = append(out, r.pattern)
	}
	return out
}

func (s *Server) routes() []route {
	system := s.systemRoutes()
	rs := make([]route, 0, len(system)+6)
	for _, r := range system {
		rs = append(rs, route{r.pattern, identity.RequireSystem(s.systems, r.handler)})
	}
	if s.ledger != nil {
		rs = append(rs, route{"GET /v1/reviews", identity.RequireStaff(s.staff,
			identity.RequireRole(identity.RoleCoordinator)(http.HandlerFunc(s.getReviews)))})
	}
	var staff routeList
	if s.breaches != nil {
		s.breachRoutes(&staff)
	}
	if s.rights != nil {
		s.rightsRoutes(&staff)
	}
	if s.eraser != nil {
		s.erasureRoutes(&staff)
	}
	if s.casework != nil {
		s.caseworkRoutes(&staff)
	}
	rs = append(rs, staff...)
	return append(rs, describeRoutes()...)
}

// routeList collects routes the way a ServeMux takes them.
type routeList []route

// Handle adds pattern with its handler.
func (l *routeList) Handle(pattern string, h http.Handler) {
	*l = append(*l, route{pattern, h})
}

// SystemRoutes returns the registration systems' routes without the
// certificate check: each handler reads the principal from the context
// (identity.WithSystem) and answers 401 without one. Handler wraps them;
// tests may call them with a principal of their own.
func (s *Server) SystemRoutes() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.systemRoutes() {
		mux.Handle(r.pattern, r.handler)
	}
	return recordRoute(mux, problem.Fallback(mux))
}

func (s *Server) systemRoutes() []route {
	rs := []route{
		{"POST /v1/disclosures", http.HandlerFunc(s.postDisclosure)},
		{"GET /v1/disclosures/{id}", http.HandlerFunc(s.getDisclosure)},
	}
	if s.consents != nil {
		rs = append(rs, route{"POST /v1/consents", http.HandlerFunc(s.postConsent)})
	}
	return rs
}

// ErrIntakeFull is the 503 problem of a disclosure request the broker
// refused because the intake queue is full (its policy's max-length,
// overflow reject-publish): nothing was taken; the same request may be
// sent again, with the same id, after Retry-After seconds.
var ErrIntakeFull = errors.New("the intake queue is full: the request was not taken; try again later with the same id")

// intakeFullRetryAfter is the Retry-After (seconds) of ErrIntakeFull.
const intakeFullRetryAfter = 30

// problemResponse is an error answer of the API (RFC 9457 problem details,
// package problem): writeJSON and writeProblem write it with its status
// as application/problem+json.
type problemResponse struct {
	Error string
	// Field names what was refused (a request field such as
	// sender.municipality, or the Content-Type header), never its value.
	Field    string
	Problems []disclosure.Problem
}

type acceptedResponse struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Href   string `json:"href"`
}

// ErrMediaType is the 415 refusal of a body that is not application/json.
var ErrMediaType = errors.New("Content-Type must be application/json")

// jsonBody checks the request's Content-Type is application/json (any
// parameters, e.g. charset=utf-8, allowed); else it answers 415.
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/json" {
		return true
	}
	writeJSON(w, http.StatusUnsupportedMediaType, problemResponse{Error: ErrMediaType.Error(), Field: "Content-Type"})
	return false
}

// principal returns the authenticated system, or answers 401.
func principal(w http.ResponseWriter, r *http.Request) (identity.System, bool) {
	sys, err := identity.SystemFrom(r.Context())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, problemResponse{Error: err.Error()})
		return identity.System{}, false
	}
	return sys, true
}

// refusal answers 403 naming the refused field of a *identity.RefusedError
// (its text names no value).
func refusal(w http.ResponseWriter, err error) {
	var re *identity.RefusedError
	field := ""
	if errors.As(err, &re) {
		field = re.Field
		err = re
	}
	writeJSON(w, http.StatusForbidden, problemResponse{Error: err.Error(), Field: field})
}

func (s *Server) postDisclosure(w http.ResponseWriter, r *http.Request) {
	sys, ok := principal(w, r)
	if !ok || !jsonBody(w, r) {
		return
	}
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
		s.countInvalid()
		if s.recordRefused(w, r, body, inv.Error()) {
			writeJSON(w, http.StatusBadRequest, problemResponse{Error: disclosure.ErrInvalid.Error(), Problems: inv.Problems})
		}
		return
	}
	if err := identity.MaySend(sys, req.Sender.Municipality, req.Sender.System, req.LegalBasis.Kind); err != nil {
		if s.counter != nil {
			s.counter.CountRefused()
		}
		if s.recordRefused(w, r, body, err.Error()) {
			refusal(w, err)
		}
		return
	}
	if s.register != nil {
		_, _, err := s.register.Register(r.Context(), sys, req)
		switch {
		case errors.Is(err, receipts.ErrConflict):
			s.countInvalid()
			if s.recordConflict(w, r, req) {
				writeJSON(w, http.StatusConflict, problemResponse{Error: ErrIDConflict.Error(), Field: "id"})
			}
			return
		case err != nil:
			s.log.Error("register disclosure", "disclosure_id", req.ID, "err", err)
			writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not record the request; try again with the same id"})
			return
		}
	}
	if err := s.intake.Enqueue(r.Context(), req.ID, body); err != nil {
		s.log.Error("enqueue disclosure", "disclosure_id", req.ID, "err", err)
		if errors.Is(err, bus.ErrRefused) {
			// The intake queue is at its policy's max-length.
			w.Header().Set("Retry-After", strconv.Itoa(intakeFullRetryAfter))
			writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: ErrIntakeFull.Error()})
			return
		}
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "the intake queue did not confirm the request; try again with the same id"})
		return
	}
	href := "/v1/disclosures/" + req.ID
	w.Header().Set("Location", href)
	writeJSON(w, http.StatusAccepted, acceptedResponse{ID: req.ID, Status: "accepted for processing", Href: href})
}

// ErrIDConflict is the 409 refusal of a request whose id is registered for
// a different request.
var ErrIDConflict = errors.New("id already used for a different request; the disclosure with this id is not affected")

func (s *Server) countInvalid() {
	if s.counter != nil {
		s.counter.CountInvalid("http")
	}
}

// recordRefused keeps a request that is not taken in (invalid, or refused
// to its principal) with its ledger entry intake_invalid: the ids and codes
// it names and reason, a text without values; the ledger actor is the
// authenticated system (identity.WithSystem). On failure it answers 503
// and returns false.
func (s *Server) recordRefused(w http.ResponseWriter, r *http.Request, body []byte, reason string) bool {
	env := disclosure.Peek(body)
	if err := s.receipts.RecordInvalid(r.Context(), receipts.InvalidRequest{
		DisclosureID: env.ID, Municipality: env.Municipality, System: env.System,
		Reason: reason, ReceivedAt: s.now(),
	}); err != nil {
		s.log.Error("record invalid request", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not record the request; try again"})
		return false
	}
	return true
}

// recordConflict keeps a request refused with 409 like recordRefused, its
// ledger entry filed under no disclosure (receipts.InvalidRequest.Conflict).
func (s *Server) recordConflict(w http.ResponseWriter, r *http.Request, req disclosure.Request) bool {
	if err := s.receipts.RecordInvalid(r.Context(), receipts.InvalidRequest{
		DisclosureID: req.ID, Municipality: req.Sender.Municipality, System: req.Sender.System,
		Reason: ErrIDConflict.Error(), ReceivedAt: s.now(), Conflict: true,
	}); err != nil {
		s.log.Error("record invalid request", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not record the request; try again"})
		return false
	}
	return true
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
	sys, ok := principal(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	rec, err := s.receipts.Get(r.Context(), id)
	if err == nil && identity.MayActFor(sys, rec.Municipality, rec.System) != nil {
		// Another system's receipt answers as an unknown id: no oracle.
		err = receipts.ErrNotFound
	}
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
	if _, ok := principal(w, r); !ok || !jsonBody(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "could not read the request body"})
		return
	}
	ev, err := s.consents.Process(r.Context(), body)
	switch {
	case errors.Is(err, identity.ErrSenderNotAllowed):
		refusal(w, err)
		return
	case err != nil:
		s.log.Error("consent command", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not apply the command; try again with the same id"})
		return
	}
	switch ev.State {
	case "consent_applied":
		writeJSON(w, http.StatusOK, ev)
	case "consent_invalid":
		eventProblem(w, http.StatusBadRequest, ev)
	default:
		eventProblem(w, http.StatusConflict, ev)
	}
}

// writeJSON answers code with v as application/json; a problemResponse
// (every error answer) goes to writeProblem instead, so that no error of
// this package is written in another shape.
func writeJSON(w http.ResponseWriter, code int, v any) {
	if p, ok := v.(problemResponse); ok {
		writeProblem(w, code, p)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // a write error means the client went away
}

// writeProblem answers code with p as RFC 9457 problem details.
func writeProblem(w http.ResponseWriter, code int, p problemResponse) {
	pr := problem.Problem{Status: code, Detail: p.Error, Field: p.Field}
	if len(p.Problems) > 0 {
		pr.Problems = p.Problems
	}
	problem.Write(w, pr)
}

// eventProblem answers an invalid or refused consent command: problem
// details whose detail is the event's reason, with every member of the
// status event (state, command_id, problems, ...) as extension members.
func eventProblem(w http.ResponseWriter, code int, ev bus.Event) {
	var members map[string]any
	b, err := json.Marshal(ev)
	if err == nil {
		err = json.Unmarshal(b, &members)
	}
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, problemResponse{Error: "could not render the outcome"})
		return
	}
	detail := ev.Reason
	if detail == "" {
		detail = "consent command " + ev.State
	}
	pr := problem.Problem{Status: code, Detail: detail, Extensions: members}
	if len(ev.Problems) > 0 {
		pr.Problems = ev.Problems
	}
	delete(pr.Extensions, "problems")
	problem.Write(w, pr)
}
