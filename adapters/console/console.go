// Package console is the web console for staff: server-rendered pages (Go
// templates, no front-end build, no third-party assets) on their own TLS
// listener, behind the staff login. Today it holds the breach register's
// pages (privacy officers) and the override review list (coordinators);
// docs/console.md lists every page.
//
// A session is the staff member's verified bearer token in a cookie
// (HttpOnly, Secure, SameSite=Strict), verified again on every request;
// every form carries a token bound to that session (CSRF), and a POST from
// another site is refused.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/review"
	"github.com/sluis-gateway/sluis/internal/rights"
)

//go:embed templates/*.html static/*
var assets embed.FS

// CookieName is the session cookie.
const CookieName = "sluis_console"

// MaxFormBytes bounds a form post.
const MaxFormBytes = 64 << 10

// EventReviewsRead is the ledger event of a read of the override review
// list in the console (the API's is httpapi.EventReviewsRead).
const EventReviewsRead = "console:reviews_read"

// Ledger reads the ledger (the review list) and appends a read.
type Ledger interface {
	review.Ledger
	Append(ctx context.Context, disclosureID, event string, detail map[string]string) (ledger.Entry, error)
}

// Receipts reads a disclosure's record (to scope the review list).
type Receipts interface {
	Get(ctx context.Context, disclosureID string) (receipts.Record, error)
}

// Casework is what the review pages need of internal/casework.
type Casework interface {
	List(ctx context.Context, staff identity.Staff, kind casework.Kind, openOnly bool) ([]casework.Item, error)
	Judge(ctx context.Context, staff identity.Staff, itemID, outcome, reference string) (casework.Item, error)
	RecordInformed(ctx context.Context, staff identity.Staff, disclosureID, outcome, reason, reference string) (casework.Item, error)
}

// Rights answers a client's access request (internal/rights).
type Rights interface {
	Access(ctx context.Context, asker rights.Asker, q rights.Question) (rights.Report, error)
}

// Config holds the console's parts; Staff and Breaches are required.
type Config struct {
	// Staff verifies the tokens staff log in with.
	Staff identity.TokenVerifier
	// DevLogin says the login page takes a development token (from `sluis
	// dev-token`); the only login the console offers today.
	DevLogin bool
	Breaches *breach.Register
	// Casework lists and closes review items (break-glass reads, human
	// reviews, an override's follow-ups); Rights answers a client's access
	// request. Both optional: without them their pages are not served.
	Casework Casework
	Rights   Rights
	Ledger   Ledger
	Receipts Receipts
	Now      func() time.Time
	Logger   *slog.Logger
}

// Server serves the console. Build it with New.
type Server struct {
	c     Config
	pages map[string]*template.Template
	csrf  []byte
	log   *slog.Logger
	now   func() time.Time
}

// New builds the console.
func New(c Config) (*Server, error) {
	if c.Staff == nil || c.Breaches == nil || c.Ledger == nil || c.Receipts == nil {
		return nil, errors.New("console: Staff, Breaches, Ledger and Receipts are required")
	}
	s := &Server{c: c, pages: map[string]*template.Template{}, csrf: make([]byte, 32), log: c.Logger, now: c.Now}
	if _, err := rand.Read(s.csrf); err != nil {
		return nil, err
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, p := range []string{"login", "breaches", "breach", "breach_new", "subjects", "reviews", "casework", "client", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, err
		}
		s.pages[p] = t
	}
	return s, nil
}

// Handler returns the console's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /inloggen", s.loginPage)
	mux.HandleFunc("POST /inloggen", s.login)
	mux.HandleFunc("POST /uitloggen", s.logout)
	officer := func(h func(w http.ResponseWriter, r *http.Request, st identity.Staff)) http.Handler {
		return s.require(identity.RolePrivacyOfficer, h)
	}
	mux.Handle("GET /datalekken", officer(s.breachList))
	mux.Handle("GET /datalekken/nieuw", officer(s.breachNewPage))
	mux.Handle("POST /datalekken", officer(s.breachRecord))
	mux.Handle("GET /datalekken/{id}", officer(s.breachPage))
	mux.Handle("POST /datalekken/{id}/{action}", officer(s.breachAction))
	mux.Handle("GET /datalekken/{id}/betrokkenen", officer(s.breachSubjects))
	mux.Handle("GET /beoordelingen", s.require(identity.RoleCoordinator, s.reviews))
	if s.c.Casework != nil {
		mux.Handle("GET /werkvoorraad", s.require(identity.RoleCoordinator, s.casework))
		mux.Handle("POST /werkvoorraad/{id}/oordeel", s.require(identity.RoleCoordinator, s.judge))
		mux.Handle("POST /werkvoorraad/geinformeerd", s.require(identity.RoleCoordinator, s.informed))
	}
	if s.c.Rights != nil {
		mux.Handle("GET /client", s.requireAny([]identity.Role{identity.RoleEmployee, identity.RoleCoordinator, identity.RolePrivacyOfficer}, s.clientPage))
		mux.Handle("POST /client/overzicht", s.requireAny([]identity.Role{identity.RoleEmployee, identity.RoleCoordinator, identity.RolePrivacyOfficer}, s.clientReport))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "Deze pagina bestaat niet.")
	})
	return secure(mux)
}

// secure sets the headers every console answer carries.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// session is the signed-in staff member of a request, if any.
func (s *Server) session(r *http.Request) (identity.Staff, string, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return identity.Staff{}, "", false
	}
	st, err := s.c.Staff.Verify(r.Context(), c.Value)
	if err != nil {
		return identity.Staff{}, "", false
	}
	return st, c.Value, true
}

// csrfToken binds a form to the session's token.
func (s *Server) csrfToken(session string) string {
	m := hmac.New(sha256.New, s.csrf)
	m.Write([]byte(session))
	return hex.EncodeToString(m.Sum(nil))
}

// sameOrigin refuses a POST another site sent: Sec-Fetch-Site, or Origin,
// must say this site (a browser sends at least one).
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// require answers the page only for a signed-in member with role, whose
// form posts carry the session's CSRF token; it sets the ledger actor.
func (s *Server) require(role identity.Role, h func(w http.ResponseWriter, r *http.Request, st identity.Staff)) http.Handler {
	return s.requireAny([]identity.Role{role}, h)
}

// requireAny is require for a page of several roles: the member acts in
// the first of roles they have.
func (s *Server) requireAny(roles []identity.Role, h func(w http.ResponseWriter, r *http.Request, st identity.Staff)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, tok, ok := s.session(r)
		if !ok {
			http.Redirect(w, r, "/inloggen?terug="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		role, err := st.FirstOf(roles...)
		if err != nil {
			var names []string
			for _, r := range roles {
				names = append(names, roleNL[r])
			}
			s.fail(w, r, http.StatusForbidden, "U heeft niet de rol die deze pagina vraagt ("+strings.Join(names, ", ")+").")
			return
		}
		if st.Municipality == "" {
			s.fail(w, r, http.StatusForbidden, "Uw account hoort bij geen gemeente.")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, http.StatusBadRequest, "Het formulier is te groot of onleesbaar.")
				return
			}
			if !sameOrigin(r) || !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(tok))) {
				s.fail(w, r, http.StatusForbidden, "Dit formulier komt niet van deze console of is verlopen. Open de pagina opnieuw.")
				return
			}
		}
		ctx := identity.WithStaffRole(r.Context(), st, role)
		h(w, r.WithContext(ctx), st)
	})
}

// view is what every page template gets.
type view struct {
	Title    string
	Staff    *identity.Staff
	CSRF     string
	Flash    string
	Error    string
	Data     any
	Now      time.Time
	NavItems []navItem
}

type navItem struct {
	Href, Label string
	Current     bool
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, page, title string, data any) {
	v := view{Title: title, Data: data, Now: s.now(), Flash: r.URL.Query().Get("gelukt")}
	if st, tok, ok := s.session(r); ok {
		v.Staff, v.CSRF = &st, s.csrfToken(tok)
		if st.Has(identity.RolePrivacyOfficer) {
			v.NavItems = append(v.NavItems, navItem{"/datalekken", "Datalekken", strings.HasPrefix(r.URL.Path, "/datalekken")})
		}
		if st.Has(identity.RoleCoordinator) {
			v.NavItems = append(v.NavItems, navItem{"/beoordelingen", "Beoordelingen", r.URL.Path == "/beoordelingen"})
			if s.c.Casework != nil {
				v.NavItems = append(v.NavItems, navItem{"/werkvoorraad", "Werkvoorraad", strings.HasPrefix(r.URL.Path, "/werkvoorraad")})
			}
		}
		if s.c.Rights != nil && (st.Has(identity.RoleEmployee) || st.Has(identity.RoleCoordinator) || st.Has(identity.RolePrivacyOfficer)) {
			v.NavItems = append(v.NavItems, navItem{"/client", "Inzage cliënt", strings.HasPrefix(r.URL.Path, "/client")})
		}
	}
	if code == http.StatusOK {
		v.Flash = flashNL[v.Flash]
	} else {
		v.Flash = ""
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := s.pages[page].Execute(w, v); err != nil {
		s.log.Error("console: render", "page", page, "err", err)
	}
}

// fail renders the error page with a message in Dutch.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.render(w, r, code, "error", "Er ging iets mis", msg)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	st, _, ok := s.session(r)
	switch {
	case !ok:
		http.Redirect(w, r, "/inloggen", http.StatusSeeOther)
	case st.Has(identity.RolePrivacyOfficer):
		http.Redirect(w, r, "/datalekken", http.StatusSeeOther)
	case st.Has(identity.RoleCoordinator):
		http.Redirect(w, r, "/beoordelingen", http.StatusSeeOther)
	case st.Has(identity.RoleEmployee) && s.c.Rights != nil:
		http.Redirect(w, r, "/client", http.StatusSeeOther)
	default:
		s.fail(w, r, http.StatusForbidden, "Voor uw rol heeft de console nog geen pagina's.")
	}
}

type loginData struct {
	Back     string
	DevLogin bool
}

func safeBack(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	return p
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "Inloggen", loginData{Back: safeBack(r.URL.Query().Get("terug")), DevLogin: s.c.DevLogin})
}

// login takes a token (the development login's, from `sluis dev-token`),
// verifies it and keeps it in the session cookie until it expires.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) {
		s.fail(w, r, http.StatusBadRequest, "Het formulier is onleesbaar of komt niet van deze console.")
		return
	}
	back := safeBack(r.PostFormValue("terug"))
	tok := strings.TrimSpace(r.PostFormValue("token"))
	st, err := s.c.Staff.Verify(r.Context(), tok)
	if tok == "" || err != nil {
		s.render(w, r, http.StatusUnauthorized, "login", "Inloggen", loginData{Back: back, DevLogin: s.c.DevLogin})
		return
	}
	ctx := actor.With(r.Context(), actor.Staff(st.ID, "", st.Municipality))
	if _, err := s.c.Ledger.Append(ctx, "", "console:login", map[string]string{"municipality": st.Municipality}); err != nil {
		s.log.Error("console: ledger of a login", "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, "Inloggen kon niet worden vastgelegd. Probeer het opnieuw.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int((8 * time.Hour).Seconds())})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/inloggen", http.StatusSeeOther)
}

var roleNL = map[identity.Role]string{
	identity.RoleEmployee: "medewerker", identity.RoleCoordinator: "coördinator",
	identity.RolePrivacyOfficer: "privacyfunctionaris", identity.RoleOperator: "beheerder",
}

var flashNL = map[string]string{
	"vastgelegd": "Het datalek is vastgelegd.", "bevestigd": "Het voorstel is bevestigd als datalek.",
	"afgewezen": "Het voorstel is afgewezen.", "gemeld": "De melding is vastgelegd.", "bijgewerkt": "De gegevens zijn bijgewerkt.",
	"beoordeeld": "Het oordeel is vastgelegd.", "geinformeerd": "Vastgelegd dat de cliënt is geïnformeerd (of waarom niet).",
}
