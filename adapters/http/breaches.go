package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// MaxBreachBodyBytes bounds a breach register request body (docs/limits.md):
// enough for the longest texts and breach.MaxRefs client keys.
const MaxBreachBodyBytes = 1 << 20

// WithBreaches enables the breach register's routes (docs/breaches.md):
// privacy officers read and write their municipality's register, operators
// declare a signing key compromised. Staff tokens are verified by v.
func (s *Server) WithBreaches(r *breach.Register, sig *breach.Signals, v Staff) *Server {
	s.breaches, s.signals, s.staff = r, sig, v
	return s
}

// breachRoutes adds the register's routes to mux.
func (s *Server) breachRoutes(mux *routeList) {
	officer := func(h http.HandlerFunc) http.Handler {
		return identity.RequireStaff(s.staff, identity.RequireRole(identity.RolePrivacyOfficer)(h))
	}
	mux.Handle("GET /v1/breaches", officer(s.listBreaches))
	mux.Handle("POST /v1/breaches", officer(s.recordBreach))
	mux.Handle("GET /v1/breaches/{id}", officer(s.getBreach))
	mux.Handle("PATCH /v1/breaches/{id}", officer(s.changeBreach(breachUpdate)))
	mux.Handle("POST /v1/breaches/{id}/confirm", officer(s.changeBreach(breachConfirm)))
	mux.Handle("POST /v1/breaches/{id}/dismiss", officer(s.changeBreach(breachDismiss)))
	mux.Handle("POST /v1/breaches/{id}/notifications", officer(s.changeBreach(breachNotify)))
	mux.Handle("GET /v1/breaches/{id}/subjects", officer(s.breachSubjects))
	mux.Handle("GET /v1/breaches/{id}/ap-export", officer(s.breachExport))
	mux.Handle("POST /v1/signals/key-compromised", identity.RequireStaff(s.staff,
		identity.RequireRole(identity.RoleOperator)(http.HandlerFunc(s.keyCompromised))))
}

// Incident is an incident as the API shows it: the register's fields and,
// computed at the time of the answer, the AP deadline and where it stands.
type Incident struct {
	breach.Incident
	// APDue is aware_at + 72 h for a confirmed incident (RFC 3339).
	APDue string `json:"ap_due,omitempty"`
	// Deadline is "", "open", "due_soon" or "overdue" (breach.DeadlineAt).
	Deadline string `json:"deadline"`
}

func (s *Server) view(inc breach.Incident) Incident {
	v := Incident{Incident: inc, Deadline: inc.DeadlineAt(s.now())}
	if due := inc.APDue(); !due.IsZero() {
		v.APDue = due.Format(time.RFC3339)
	}
	return v
}

// officer returns the privacy officer of the request; it answers 403 for a
// token without a municipality.
func officerOf(w http.ResponseWriter, r *http.Request) (breach.Officer, bool) {
	staff, err := identity.StaffFrom(r.Context())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, problemResponse{Error: err.Error()})
		return breach.Officer{}, false
	}
	if err := identity.MayReadFor(staff, staff.Municipality); err != nil {
		writeJSON(w, http.StatusForbidden, problemResponse{Error: err.Error()})
		return breach.Officer{}, false
	}
	return breach.Officer{Municipality: staff.Municipality}, true
}

// breachError answers a register error: 404, 409, 400 with the rule, or 503.
func (s *Server) breachError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, breach.ErrNotFound):
		writeJSON(w, http.StatusNotFound, problemResponse{Error: "breach incident not found"})
	case errors.Is(err, breach.ErrConflict):
		writeJSON(w, http.StatusConflict, problemResponse{Error: "the incident changed since it was read: read it again and send its current version"})
	case errors.Is(err, breach.ErrInvalid), errors.Is(err, breach.ErrState):
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: err.Error()})
	default:
		s.log.Error("breach register", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not read or write the breach register; try again"})
	}
}

// decodeBreachBody reads a bounded JSON body into v, refusing unknown
// fields; it answers 415 or 400 itself.
func decodeBreachBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if !jsonBody(w, r) {
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBreachBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		msg := "body is not a valid JSON object of this request"
		switch {
		case errors.As(err, &tooBig):
			msg = fmt.Sprintf("body is larger than %d bytes", MaxBreachBodyBytes)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			msg = "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: msg})
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "body holds more than one JSON value"})
		return false
	}
	return true
}

func (s *Server) listBreaches(w http.ResponseWriter, r *http.Request) {
	o, ok := officerOf(w, r)
	if !ok {
		return
	}
	all, err := s.breaches.List(r.Context(), o)
	if err != nil {
		s.breachError(w, err)
		return
	}
	out := make([]Incident, 0, len(all))
	for _, inc := range all {
		out = append(out, s.view(inc))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) recordBreach(w http.ResponseWriter, r *http.Request) {
	o, ok := officerOf(w, r)
	if !ok {
		return
	}
	var f breach.Facts
	if !decodeBreachBody(w, r, &f) {
		return
	}
	inc, err := s.breaches.Record(r.Context(), o, f)
	if err != nil {
		s.breachError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/breaches/"+inc.ID)
	writeJSON(w, http.StatusCreated, s.view(inc))
}

func (s *Server) getBreach(w http.ResponseWriter, r *http.Request) {
	o, ok := officerOf(w, r)
	if !ok {
		return
	}
	inc, err := s.breaches.Get(r.Context(), o, r.PathValue("id"))
	if err != nil {
		s.breachError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(inc))
}

// breachChange is the body of a change: the version read, and the action's
// own fields.
type breachChange struct {
	Version int `json:"version"`
	breach.Facts
	breach.Notice
	Reason string `json:"reason,omitempty"`
}

type breachAction int

const (
	breachUpdate breachAction = iota
	breachConfirm
	breachDismiss
	breachNotify
)

func (s *Server) changeBreach(a breachAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := officerOf(w, r)
		if !ok {
			return
		}
		var c breachChange
		if !decodeBreachBody(w, r, &c) {
			return
		}
		if c.Version < 1 {
			writeJSON(w, http.StatusBadRequest, problemResponse{Error: "version is required: the incident's version as last read", Field: "version"})
			return
		}
		facts, notice := !isEmptyJSON(c.Facts), c.Notice != (breach.Notice{})
		var misplaced string
		switch {
		case a == breachNotify && facts:
			misplaced = "this request takes only the notification fields"
		case a != breachNotify && notice:
			misplaced = "notification fields go to POST /v1/breaches/{id}/notifications"
		case a != breachDismiss && c.Reason != "":
			misplaced = "reason is only for POST /v1/breaches/{id}/dismiss"
		case a == breachDismiss && facts:
			misplaced = "dismiss takes only version and reason"
		}
		if misplaced != "" {
			writeJSON(w, http.StatusBadRequest, problemResponse{Error: misplaced})
			return
		}
		id := r.PathValue("id")
		var (
			inc breach.Incident
			err error
		)
		switch a {
		case breachUpdate:
			inc, err = s.breaches.Update(r.Context(), o, id, c.Version, c.Facts)
		case breachConfirm:
			inc, err = s.breaches.Confirm(r.Context(), o, id, c.Version, c.Facts)
		case breachDismiss:
			inc, err = s.breaches.Dismiss(r.Context(), o, id, c.Version, c.Reason)
		case breachNotify:
			inc, err = s.breaches.Notify(r.Context(), o, id, c.Version, c.Notice)
		}
		if err != nil {
			s.breachError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s.view(inc))
	}
}

func (s *Server) breachSubjects(w http.ResponseWriter, r *http.Request) {
	o, ok := officerOf(w, r)
	if !ok {
		return
	}
	subjects, err := s.breaches.Subjects(r.Context(), o, r.PathValue("id"))
	if err != nil {
		s.breachError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, subjects)
}

func (s *Server) breachExport(w http.ResponseWriter, r *http.Request) {
	o, ok := officerOf(w, r)
	if !ok {
		return
	}
	form, err := s.breaches.APExport(r.Context(), o, r.PathValue("id"))
	if err != nil {
		s.breachError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, form)
}

// keyCompromisedRequest declares the gateway's signing key compromised.
type keyCompromisedRequest struct {
	Since             time.Time `json:"since"`
	CertificateSHA256 string    `json:"certificate_sha256,omitempty"`
}

func (s *Server) keyCompromised(w http.ResponseWriter, r *http.Request) {
	var req keyCompromisedRequest
	if !decodeBreachBody(w, r, &req) {
		return
	}
	inc, created, err := s.signals.KeyCompromised(r.Context(), req.Since, req.CertificateSHA256)
	if err != nil {
		s.breachError(w, err)
		return
	}
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	writeJSON(w, code, struct {
		Incident string `json:"incident"`
		State    string `json:"state"`
	}{inc.ID, string(inc.State)})
}

// isEmptyJSON reports whether v marshals to an empty object (no field set).
func isEmptyJSON(v any) bool {
	b, err := json.Marshal(v)
	return err == nil && string(b) == "{}"
}
