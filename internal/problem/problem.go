// Package problem writes sluis's HTTP error answers as RFC 9457 problem
// details (Content-Type application/problem+json), on the API and the admin
// listener alike, so that every refusal has one shape (docs/api.md).
//
// Each answer carries the standard members type, title, status and detail,
// and the extension members sluis answered before problem details existed:
// error (the same text as detail), field and problems, so that callers that
// read those keep working. Nothing here may carry a value of the request:
// detail and field name what was refused, never its content.
package problem

import (
	"encoding/json"
	"net/http"
)

// ContentType is the media type of every error answer (RFC 9457).
const ContentType = "application/problem+json"

// TypePrefix starts every problem type URI; the rest is Slug(status).
const TypePrefix = "urn:sluis:problem:"

// kinds are the problem types by HTTP status: slug and title. A status not
// listed is "about:blank" with the status's text as title (RFC 9457 4.2.1).
var kinds = map[int]struct{ slug, title string }{
	http.StatusBadRequest:            {"invalid-request", "The request is invalid"},
	http.StatusUnauthorized:          {"unauthenticated", "Authentication is required"},
	http.StatusForbidden:             {"forbidden", "The principal may not do this"},
	http.StatusNotFound:              {"not-found", "Not found"},
	http.StatusMethodNotAllowed:      {"method-not-allowed", "Method not allowed"},
	http.StatusConflict:              {"conflict", "The request conflicts with what is recorded"},
	http.StatusRequestEntityTooLarge: {"too-large", "The request is too large"},
	http.StatusUnsupportedMediaType:  {"unsupported-media-type", "Unsupported media type"},
	http.StatusInternalServerError:   {"internal", "Internal error"},
	http.StatusServiceUnavailable:    {"unavailable", "Temporarily unavailable; try again"},
}

// Type is the problem type URI of an answer with this status.
func Type(status int) string {
	if k, ok := kinds[status]; ok {
		return TypePrefix + k.slug
	}
	return "about:blank"
}

// Title is the problem title of an answer with this status.
func Title(status int) string {
	if k, ok := kinds[status]; ok {
		return k.title
	}
	return http.StatusText(status)
}

// Statuses are the HTTP statuses with a problem type of their own.
func Statuses() []int {
	out := make([]int, 0, len(kinds))
	for s := range kinds {
		out = append(out, s)
	}
	return out
}

// Problem is one error answer. Detail says what is wrong in this case;
// Field names the refused request field or header; Problems lists each
// problem of an invalid request by JSON path and rule. Extra members
// (Extensions) may not use the standard names.
type Problem struct {
	Status     int
	Detail     string
	Field      string
	Problems   any
	Extensions map[string]any
}

// MarshalJSON renders p with its standard and extension members.
func (p Problem) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Extensions)+7)
	for k, v := range p.Extensions {
		m[k] = v
	}
	m["type"] = Type(p.Status)
	m["title"] = Title(p.Status)
	m["status"] = p.Status
	m["detail"] = p.Detail
	m["error"] = p.Detail
	if p.Field != "" {
		m["field"] = p.Field
	}
	if p.Problems != nil {
		m["problems"] = p.Problems
	}
	return json.Marshal(m)
}

// Write answers with p (its Status is the HTTP status).
func Write(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Del("Content-Length")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p) // a write error means the client went away
}

// Error answers status with err's text as detail.
func Error(w http.ResponseWriter, status int, err error) {
	Write(w, Problem{Status: status, Detail: err.Error()})
}

// Fallback wraps a ServeMux (or any handler that answers like one) so that
// its own 404 and 405 answers, plain text in net/http, become problem
// details; a 405 keeps the mux's Allow header. mux.Handler tells which
// requests no pattern takes; the mux's answer to those is run into a
// recorder only to learn its status and Allow header.
func Fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		switch status {
		case http.StatusNotFound:
			Write(w, Problem{Status: status, Detail: "no such route (the API description lists every route)"})
		case http.StatusMethodNotAllowed:
			if allow := rec.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			Write(w, Problem{Status: status, Detail: "method not allowed on this route; allowed: " + rec.header.Get("Allow")})
		default:
			// A redirect the mux makes (a path to clean, a trailing
			// slash): pass on its status and headers, without its HTML.
			for k, v := range rec.header {
				if k != "Content-Type" && k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(status)
		}
	})
}

// recorder keeps a response's status and headers and drops its body.
type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}
