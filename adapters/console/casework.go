package console

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/rights"
)

var kindNLs = map[casework.Kind]string{
	casework.KindCoordinatorReview: "noodsituatie beoordelen", casework.KindBreakGlass: "inzage zonder betrokkenheid (break-glass)",
	casework.KindHumanReview: "menselijke beoordeling (AVG art. 22)", casework.KindInformClient: "cliënt informeren na noodsituatie",
}

var outcomeNL = map[string]string{
	"justified": "terecht", "unjustified": "niet terecht", "upheld": "besluit blijft", "overturned": "besluit herzien",
	casework.OutcomeInformed: "geïnformeerd", casework.OutcomeNotPossible: "niet mogelijk",
}

var notPossibleNL = map[string]string{
	"unreachable": "niet bereikbaar", "safety_risk": "informeren brengt de veiligheid in gevaar", "lacks_capacity": "niet in staat het te begrijpen",
	"deceased": "overleden", "other": "andere reden",
}

var breakGlassNL = map[string]string{
	"client_request": "verzoek van de cliënt", "colleague_absent": "collega afwezig", "complaint": "klacht",
	"incident": "incident", "audit": "controle", "legal_claim": "rechtsvordering", casework.ReasonStatedAtDecision: "bij het besluit opgegeven",
}

type option struct{ Value, Label string }

type itemRow struct {
	casework.Item
	KindLabel string
	Overdue   bool
	Outcomes  []option
}

type caseworkData struct {
	Sections    []caseworkSection
	NotPossible []option
}

type caseworkSection struct {
	Kind  casework.Kind
	Title string
	Items []itemRow
}

// casework lists the coordinator's open review items by kind, each with
// the form that closes it.
func (s *Server) casework(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	now := s.now()
	data := caseworkData{}
	for _, r := range casework.NotPossibleReasons {
		data.NotPossible = append(data.NotPossible, option{r, notPossibleNL[r]})
	}
	for _, k := range []casework.Kind{casework.KindCoordinatorReview, casework.KindBreakGlass, casework.KindHumanReview, casework.KindInformClient} {
		items, err := s.c.Casework.List(r.Context(), st, k, true)
		if err != nil {
			s.caseworkError(w, r, err)
			return
		}
		sec := caseworkSection{Kind: k, Title: kindNLs[k]}
		for _, it := range items {
			row := itemRow{Item: it, KindLabel: kindNLs[k], Overdue: it.Overdue(now)}
			for _, o := range casework.Outcomes[k] {
				row.Outcomes = append(row.Outcomes, option{o, outcomeNL[o]})
			}
			sec.Items = append(sec.Items, row)
		}
		data.Sections = append(data.Sections, sec)
	}
	s.render(w, r, http.StatusOK, "casework", "Werkvoorraad", data)
}

func (s *Server) caseworkError(w http.ResponseWriter, r *http.Request, err error) {
	var re *casework.RequestError
	switch {
	case errors.As(err, &re):
		s.fail(w, r, http.StatusBadRequest, "Niet vastgelegd: "+problemNL(re))
	case errors.Is(err, casework.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "Dit item bestaat niet, of hoort bij een andere gemeente.")
	case errors.Is(err, casework.ErrClosed):
		s.fail(w, r, http.StatusConflict, "Dit item is al afgehandeld.")
	case errors.Is(err, casework.ErrOwnItem):
		s.fail(w, r, http.StatusForbidden, "U beoordeelt uw eigen inzage niet; een andere coördinator doet dat.")
	case errors.Is(err, identity.ErrRoleNotAllowed):
		s.fail(w, r, http.StatusForbidden, "Uw rol mag dit niet.")
	default:
		s.log.Error("console: casework", "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, "De werkvoorraad kon niet worden gelezen of bijgewerkt. Probeer het opnieuw.")
	}
}

func (s *Server) judge(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	if _, err := s.c.Casework.Judge(r.Context(), st, r.PathValue("id"), r.PostFormValue("outcome"), strings.TrimSpace(r.PostFormValue("reference"))); err != nil {
		s.caseworkError(w, r, err)
		return
	}
	http.Redirect(w, r, "/werkvoorraad?gelukt=beoordeeld", http.StatusSeeOther)
}

func (s *Server) informed(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	if _, err := s.c.Casework.RecordInformed(r.Context(), st, r.PostFormValue("disclosure_id"), r.PostFormValue("outcome"),
		r.PostFormValue("reason"), strings.TrimSpace(r.PostFormValue("reference"))); err != nil {
		s.caseworkError(w, r, err)
		return
	}
	http.Redirect(w, r, "/werkvoorraad?gelukt=geinformeerd", http.StatusSeeOther)
}

type clientData struct{ Problem string }

// clientPage is the form of a client's access request: the BSN goes in
// the body of a POST, never in a URL.
func (s *Server) clientPage(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	s.render(w, r, http.StatusOK, "client", "Inzage voor een cliënt", clientData{})
}

// clientReport answers the access request with the printable Dutch
// document of internal/rights (the same as POST
// /v1/rights/access/document); the request is a ledger entry there.
func (s *Server) clientReport(w http.ResponseWriter, r *http.Request, st identity.Staff) {
	q := rights.Question{BSN: strings.TrimSpace(r.PostFormValue("bsn")), Reference: strings.TrimSpace(r.PostFormValue("request_reference"))}
	rep, err := s.c.Rights.Access(r.Context(), rights.Asker{ID: st.ID, Municipality: st.Municipality}, q)
	var re *rights.RequestError
	switch {
	case errors.As(err, &re):
		s.render(w, r, http.StatusBadRequest, "client", "Inzage voor een cliënt", clientData{Problem: problemNL(re)})
		return
	case err != nil:
		s.log.Error("console: access report", "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, "Het overzicht kon niet worden gemaakt. Probeer het opnieuw.")
		return
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		s.log.Error("console: access report document", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "Het overzicht kon niet worden opgemaakt.")
		return
	}
	// The document is self-contained: its own inline styles, no script.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = b.WriteTo(w)
}
