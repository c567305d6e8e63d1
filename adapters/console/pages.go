package console

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/review"
)

var amsterdam = func() *time.Location {
	l, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.UTC
	}
	return l
}()

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(amsterdam).Format("02-01-2006 15:04")
	},
	"stateNL":    func(s breach.State) string { return stateNL[s] },
	"sourceNL":   func(s breach.Source) string { return sourceNL[s] },
	"deadlineNL": func(d string) string { return deadlineNL[d] },
	"kindNL":     func(k string) string { return kindNL[k] },
	"categoryNL": func(c string) string { return categoryNL[c] },
	"roleNL":     func(r identity.Role) string { return roleNL[r] },
	"apNL":       func(a string) string { return apNL[a] },
	"deref":      func(t *time.Time) time.Time { return *t },
	"short": func(s string) string {
		if r := []rune(s); len(r) > 90 {
			return string(r[:90]) + "…"
		}
		return s
	},
}

var (
	stateNL  = map[breach.State]string{breach.Proposed: "voorgesteld", breach.Confirmed: "bevestigd", breach.Dismissed: "afgewezen"}
	sourceNL = map[breach.Source]string{
		breach.SourceManual: "vastgelegd door een privacyfunctionaris", breach.SourceWrongParty: "retour van een andere aanbieder",
		breach.SourceForgedRetours: "reeks vervalste retourberichten", breach.SourceKeyCompromised: "ondertekeningssleutel gecompromitteerd",
	}
	deadlineNL = map[string]string{breach.DeadlineNone: "—", breach.DeadlineOpen: "loopt", breach.DeadlineSoon: "binnen 24 uur",
		breach.DeadlineOverdue: "verlopen"}
	kindNL = map[string]string{breach.KindConfidentiality: "vertrouwelijkheid", breach.KindIntegrity: "integriteit",
		breach.KindAvailability: "beschikbaarheid"}
	categoryNL = map[string]string{
		string(category.Identification): "identificerende gegevens", string(category.Contact): "contactgegevens",
		string(category.Relations): "relaties", string(category.LegalStatus): "juridische status",
		string(category.Communication): "communicatie", string(category.CareAssignment): "toewijzing van zorg",
		string(category.FreeText): "vrije tekst",
	}
	apNL = map[string]string{breach.APUndecided: "nog niet beoordeeld", breach.APRequired: "meldplichtig",
		breach.APNotRequired: "niet meldplichtig"}
)

type breachRow struct {
	breach.Incident
	Deadline string
}

func (s *Server) officer(st identity.Staff) breach.Officer {
	return breach.Officer{Municipality: st.Municipality}
}

func (s *Server) breachError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, breach.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "Dit datalek bestaat niet, of hoort bij een andere gemeente.")
	case errors.Is(err, breach.ErrConflict):
		s.fail(w, r, http.StatusConflict, "Iemand anders heeft dit datalek intussen gewijzigd. Open het opnieuw en probeer het nog eens.")
	default:
		s.log.Error("console: breach register", "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, "Het register kon niet worden gelezen of bijgewerkt. Probeer het opnieuw.")
	}
}

func (s *Server) breachList(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	all, err := s.c.Breaches.List(r.Context(), s.officer(st))
	if err != nil {
		s.breachError(w, r, err)
		return
	}
	now := s.now()
	rows := make([]breachRow, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- { // newest first
		rows = append(rows, breachRow{all[i], all[i].DeadlineAt(now)})
	}
	s.render(w, r, http.StatusOK, "breaches", "Datalekken", rows)
}

type breachData struct {
	breach.Incident
	Deadline   string
	Problem    string
	Kinds      []string
	Categories []string
	Form       map[string]string
}

func newBreachData(inc breach.Incident, now time.Time, problem string, form map[string]string) breachData {
	return breachData{Incident: inc, Deadline: inc.DeadlineAt(now), Problem: problem,
		Kinds:      []string{breach.KindConfidentiality, breach.KindIntegrity, breach.KindAvailability},
		Categories: categoryNames(), Form: form}
}

func categoryNames() []string {
	var out []string
	for _, c := range category.All() {
		out = append(out, string(c))
	}
	return out
}

func (s *Server) breachPage(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	inc, err := s.c.Breaches.Get(r.Context(), s.officer(st), r.PathValue("id"))
	if err != nil {
		s.breachError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "breach", "Datalek "+inc.ID, newBreachData(inc, s.now(), "", nil))
}

func (s *Server) breachNewPage(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	s.render(w, r, http.StatusOK, "breach_new", "Datalek vastleggen", newBreachData(breach.Incident{}, s.now(), "", map[string]string{}))
}

// factsFrom reads the record form's fields.
func factsFrom(r *http.Request) (breach.Facts, error) {
	f := breach.Facts{Kinds: r.PostForm["kinds"], Categories: r.PostForm["data_categories"]}
	text := func(name string) *string {
		if v := strings.TrimSpace(r.PostFormValue(name)); v != "" {
			return &v
		}
		return nil
	}
	f.Summary, f.Consequences, f.Measures = text("summary"), text("consequences"), text("measures")
	for _, n := range []struct {
		name string
		dst  **int
	}{{"subjects_approx", &f.SubjectsApprox}, {"records_approx", &f.RecordsApprox}} {
		if v := strings.TrimSpace(r.PostFormValue(n.name)); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				return f, errors.New(n.name + " is geen geheel getal")
			}
			*n.dst = &i
		}
	}
	if ids := strings.Fields(r.PostFormValue("disclosure_ids")); len(ids) > 0 {
		f.DisclosureIDs = ids
	}
	return f, nil
}

func (s *Server) breachRecord(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostFormValue(k)
	}
	f, err := factsFrom(r)
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "breach_new", "Datalek vastleggen", newBreachData(breach.Incident{}, s.now(), err.Error(), form))
		return
	}
	inc, err := s.c.Breaches.Record(r.Context(), s.officer(st), f)
	switch {
	case errors.Is(err, breach.ErrInvalid):
		s.render(w, r, http.StatusBadRequest, "breach_new", "Datalek vastleggen", newBreachData(breach.Incident{}, s.now(), problemNL(err), form))
	case err != nil:
		s.breachError(w, r, err)
	default:
		http.Redirect(w, r, "/datalekken/"+inc.ID+"?gelukt=vastgelegd", http.StatusSeeOther)
	}
}

// breachAction runs a form's action on an incident: bevestigen,
// afwijzen, melden (the AP), niet-melden, geinformeerd (the subjects).
func (s *Server) breachAction(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	id, o := r.PathValue("id"), s.officer(st)
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version < 1 {
		s.fail(w, r, http.StatusBadRequest, "Het formulier mist de versie van het datalek. Open de pagina opnieuw.")
		return
	}
	now := s.now().UTC()
	text := func(name string) *string { v := strings.TrimSpace(r.PostFormValue(name)); return &v }
	var flash string
	switch r.PathValue("action") {
	case "bevestigen":
		flash = "bevestigd"
		_, err = s.c.Breaches.Confirm(r.Context(), o, id, version, breach.Facts{})
	case "afwijzen":
		flash = "afgewezen"
		_, err = s.c.Breaches.Dismiss(r.Context(), o, id, version, r.PostFormValue("reason"))
	case "melden":
		flash = "gemeld"
		n := breach.Notice{APNotifiedAt: &now, APReference: text("ap_reference")}
		if v := strings.TrimSpace(r.PostFormValue("ap_late_reason")); v != "" {
			n.APLateReason = &v
		}
		_, err = s.c.Breaches.Notify(r.Context(), o, id, version, n)
	case "niet-melden":
		flash = "gemeld"
		_, err = s.c.Breaches.Notify(r.Context(), o, id, version, breach.Notice{
			APNotification: ptr(breach.APNotRequired), APNotRequiredReason: text("ap_not_required_reason")})
	case "geinformeerd":
		flash = "gemeld"
		_, err = s.c.Breaches.Notify(r.Context(), o, id, version, breach.Notice{SubjectsInformedAt: &now})
	default:
		s.fail(w, r, http.StatusNotFound, "Deze handeling bestaat niet.")
		return
	}
	if errors.Is(err, breach.ErrInvalid) || errors.Is(err, breach.ErrState) {
		inc, gerr := s.c.Breaches.Get(r.Context(), o, id)
		if gerr != nil {
			s.breachError(w, r, gerr)
			return
		}
		problem := problemNL(err)
		if errors.Is(err, breach.ErrState) {
			problem = stateProblemNL(inc.State)
		}
		s.render(w, r, http.StatusBadRequest, "breach", "Datalek "+inc.ID, newBreachData(inc, s.now(), problem, nil))
		return
	}
	if err != nil {
		s.breachError(w, r, err)
		return
	}
	http.Redirect(w, r, "/datalekken/"+id+"?gelukt="+flash, http.StatusSeeOther)
}

func ptr[T any](v T) *T { return &v }

type subjectsData struct {
	Incident breach.Incident
	Subjects []breach.Subject
}

func (s *Server) breachSubjects(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	o := s.officer(st)
	inc, err := s.c.Breaches.Get(r.Context(), o, r.PathValue("id"))
	if err != nil {
		s.breachError(w, r, err)
		return
	}
	subjects, err := s.c.Breaches.Subjects(r.Context(), o, inc.ID)
	if errors.Is(err, breach.ErrState) {
		s.fail(w, r, http.StatusBadRequest, "Alleen een bevestigd datalek heeft betrokkenen om te informeren.")
		return
	}
	if err != nil {
		s.breachError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "subjects", "Betrokkenen bij "+inc.ID, subjectsData{inc, subjects})
}

// reviews is the coordinator's list of safety overrides of their
// municipality, as GET /v1/reviews gives it; each read is a ledger entry.
func (s *Server) reviews(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	found, err := review.Overrides(r.Context(), s.c.Ledger)
	if err != nil {
		s.log.Error("console: read ledger", "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, "Het register kon niet worden gelezen. Probeer het opnieuw.")
		return
	}
	out := []review.Override{}
	for _, o := range found {
		rec, err := s.c.Receipts.Get(r.Context(), o.DisclosureID)
		if err == nil && identity.MayReadFor(st, rec.Municipality) == nil {
			out = append(out, o)
		}
	}
	if _, err := s.c.Ledger.Append(r.Context(), "", EventReviewsRead, map[string]string{
		"municipality": st.Municipality, "count": strconv.Itoa(len(out))}); err != nil {
		s.log.Error("console: ledger of a read", "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, "Het lezen kon niet worden vastgelegd. Probeer het opnieuw.")
		return
	}
	s.render(w, r, http.StatusOK, "reviews", "Beoordelingen: noodsituaties", out)
}
