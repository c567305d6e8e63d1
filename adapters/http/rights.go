package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/retention"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// Rights answers a client's rights questions (internal/rights).
type Rights interface {
	Access(ctx context.Context, asker rights.Asker, q rights.Question) (rights.Report, error)
	Recipients(ctx context.Context, asker rights.Asker, q rights.Question) (rights.RecipientList, error)
}

// Eraser answers a client's erasure request (internal/retention).
type Eraser interface {
	Erase(ctx context.Context, asker rights.Asker, q rights.Question) (retention.Erasure, error)
}

// WithErasure enables POST /v1/rights/erasure (docs/client-rights.md,
// docs/retention.md) for the roles of the other rights routes, whose
// bearer tokens v verifies.
func (s *Server) WithErasure(e Eraser, v Staff) *Server {
	s.eraser, s.staff = e, v
	return s
}

// maxStaffBody bounds a staff request body (a BSN, a reference, a reason).
const maxStaffBody = 4 << 10

// WithRights enables the client-rights routes (docs/client-rights.md):
// POST /v1/rights/access, /v1/rights/access/document and
// /v1/rights/recipients, for employees, coordinators and privacy officers
// whose bearer tokens v verifies.
func (s *Server) WithRights(r Rights, v Staff) *Server {
	s.rights, s.staff = r, v
	return s
}

// staffRoles are the roles that answer a client's requests.
var staffRoles = []identity.Role{identity.RoleEmployee, identity.RoleCoordinator, identity.RolePrivacyOfficer}

func (s *Server) rightsRoutes(mux *routeList) {
	staff := func(h http.HandlerFunc, roles ...identity.Role) http.Handler {
		return identity.RequireStaff(s.staff, identity.RequireRole(roles...)(h))
	}
	mux.Handle("POST /v1/rights/access", staff(s.postAccess(false), staffRoles...))
	mux.Handle("POST /v1/rights/access/document", staff(s.postAccess(true), staffRoles...))
	mux.Handle("POST /v1/rights/recipients", staff(s.postRecipients, staffRoles...))
}

func (s *Server) erasureRoutes(mux *routeList) {
	mux.Handle("POST /v1/rights/erasure", identity.RequireStaff(s.staff,
		identity.RequireRole(staffRoles...)(http.HandlerFunc(s.postErasure))))
}

// staffOf returns the staff member in the context, who must belong to a
// municipality (identity.MayReadFor); else it answers 401 or 403.
func staffOf(w http.ResponseWriter, r *http.Request) (identity.Staff, bool) {
	staff, err := identity.StaffFrom(r.Context())
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, problemResponse{Error: err.Error()})
		return identity.Staff{}, false
	}
	if err := identity.MayReadFor(staff, staff.Municipality); err != nil {
		writeJSON(w, http.StatusForbidden, problemResponse{Error: err.Error()})
		return identity.Staff{}, false
	}
	return staff, true
}

// staffJSON reads a bounded JSON body into v (unknown fields refused); on
// failure it has answered 400, 413 or 415.
func staffJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if !jsonBody(w, r) {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxStaffBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "could not read the request body"})
		return false
	}
	if len(body) > maxStaffBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, problemResponse{Error: "request body larger than 4 KiB"})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: "the body is not the expected JSON object (unknown fields are refused)"})
		return false
	}
	return true
}

// rightsError answers a failed rights question: 400 naming the field, or
// 503.
func (s *Server) rightsError(w http.ResponseWriter, what string, err error) {
	var re *rights.RequestError
	if errors.As(err, &re) {
		writeJSON(w, http.StatusBadRequest, problemResponse{Error: re.Error(), Field: re.Field})
		return
	}
	s.log.Error(what, "err", err) // errors of rights name ids, never the BSN
	writeJSON(w, http.StatusServiceUnavailable, problemResponse{Error: "could not answer or record the request; try again"})
}

func (s *Server) postAccess(document bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		staff, ok := staffOf(w, r)
		if !ok {
			return
		}
		var q rights.Question
		if !staffJSON(w, r, &q) {
			return
		}
		rep, err := s.rights.Access(r.Context(), rights.Asker{ID: staff.ID, Municipality: staff.Municipality}, q)
		if err != nil {
			s.rightsError(w, "access report", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if !document {
			writeJSON(w, http.StatusOK, rep)
			return
		}
		var b bytes.Buffer
		if err := rep.WriteHTML(&b); err != nil {
			s.log.Error("access report document", "err", err)
			writeJSON(w, http.StatusInternalServerError, problemResponse{Error: "could not render the document"})
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.WriteHeader(http.StatusOK)
		_, _ = b.WriteTo(w)
	}
}

func (s *Server) postRecipients(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	var q rights.Question
	if !staffJSON(w, r, &q) {
		return
	}
	list, err := s.rights.Recipients(r.Context(), rights.Asker{ID: staff.ID, Municipality: staff.Municipality}, q)
	if err != nil {
		s.rightsError(w, "recipients list", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) postErasure(w http.ResponseWriter, r *http.Request) {
	staff, ok := staffOf(w, r)
	if !ok {
		return
	}
	var q rights.Question
	if !staffJSON(w, r, &q) {
		return
	}
	out, err := s.eraser.Erase(r.Context(), rights.Asker{ID: staff.ID, Municipality: staff.Municipality}, q)
	if err != nil {
		s.rightsError(w, "erasure", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}
