package problem_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sluis-gateway/sluis/internal/problem"
)

func TestFallback(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	h := problem.Fallback(mux)
	cases := []struct {
		name, method, path string
		want               int
		contentType        string
		header, value      string
	}{
		{"routed", "GET", "/a", 204, "", "", ""},
		{"unknown path", "GET", "/b", 404, problem.ContentType, "", ""},
		{"wrong method", "PUT", "/a", 405, problem.ContentType, "Allow", "GET, HEAD"},
		{"a path to clean is the mux's redirect", "GET", "/x/../a", 307, "text/html; charset=utf-8", "Location", "/a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := httptest.NewRecorder()
			r := httptest.NewRequest(c.method, "/", nil)
			r.URL.Path = c.path
			h.ServeHTTP(rr, r)
			if rr.Code != c.want || rr.Header().Get("Content-Type") != c.contentType {
				t.Fatalf("%d %q: %s", rr.Code, rr.Header().Get("Content-Type"), rr.Body)
			}
			if c.header != "" && rr.Header().Get(c.header) != c.value {
				t.Errorf("%s %q, want %q", c.header, rr.Header().Get(c.header), c.value)
			}
			if c.contentType == problem.ContentType {
				var p map[string]any
				if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil || p["status"] != float64(c.want) || p["type"] != problem.Type(c.want) {
					t.Fatalf("%v %s", err, rr.Body)
				}
			}
		})
	}
}

// Extension members never replace the standard ones.
func TestExtensionsCannotOverrideStandardMembers(t *testing.T) {
	b, err := json.Marshal(problem.Problem{Status: 409, Detail: "d", Extensions: map[string]any{
		"status": "x", "type": "x", "title": "x", "detail": "x", "error": "x", "state": "consent_refused"}})
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.Unmarshal(b, &p)
	if p["status"] != float64(409) || p["type"] != "urn:sluis:problem:conflict" || p["detail"] != "d" || p["error"] != "d" ||
		p["title"] != problem.Title(409) || p["state"] != "consent_refused" {
		t.Fatalf("%s", b)
	}
	if problem.Type(418) != "about:blank" || problem.Title(418) != http.StatusText(418) {
		t.Errorf("a status without a kind: %s %s", problem.Type(418), problem.Title(418))
	}
}
