package rights

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
)

//go:embed templates/access.html
var accessHTML string

var maanden = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli",
	"augustus", "september", "oktober", "november", "december"}

// Dutch words for the report's codes; an unknown code is shown as it is.
var (
	nlBasis = map[string]string{
		"consent":          "toestemming van de cliënt",
		"legal_obligation": "wettelijke verplichting (na een besluit van de gemeente)",
		"safety_override":  "acuut veiligheidsrisico (zonder toestemming, na overleg met een collega of leidinggevende)",
	}
	nlCategory = map[string]string{
		"identification":  "identificatie (naam, BSN, geboortedatum)",
		"contact":         "contactgegevens (adres, telefoon)",
		"relations":       "personen om de cliënt heen",
		"legal_status":    "wettelijke vertegenwoordiging",
		"communication":   "communicatie (taal, bijzonderheden)",
		"care_assignment": "toegewezen zorg of ondersteuning",
		"free_text":       "toelichting in vrije tekst",
	}
	nlPurpose = map[string]string{
		"care_assignment":    "toewijzing van zorg of ondersteuning",
		"assignment_minimal": "toewijzing (zo min mogelijk gegevens)",
	}
	nlState = map[string]string{
		"received":  "ontvangen door sluis",
		"invalid":   "niet verwerkt: het verzoek was onjuist",
		"refused":   "geweigerd: niet gedeeld",
		"allowed":   "toegestaan",
		"published": "wordt verstuurd",
		"delivered": "afgeleverd bij de zorgaanbieder",
		"accepted":  "afgeleverd en geaccepteerd door de zorgaanbieder",
		"rejected":  "afgeleverd, maar afgekeurd door de zorgaanbieder",
		"overdue":   "afgeleverd; de zorgaanbieder heeft nog niet geantwoord",
		"failed":    "mislukt: niet afgeleverd",
	}
	nlFollowUp = map[string]string{
		"inform_client":      "de cliënt informeren",
		"coordinator_review": "beoordeling door de coördinator",
	}
	nlMessage = map[string]string{
		MessageArchived:    "bewaard; zie de bijlage",
		MessageShredded:    "vernietigd (de sleutel is verwijderd); de inhoud is niet meer leesbaar",
		MessageNotArchived: "geen: er is niets verstuurd",
	}
	nlMessageType = map[string]string{"301": "toewijzingsbericht", "319": "antwoordbericht"}
	nlEvent       = map[string]string{
		"break_glass:opened":        "bericht ingezien door een medewerker die het niet verstuurde",
		"break_glass:closed":        "inzage beoordeeld door de coördinator",
		"archive:read":              "bericht ingezien door de verzendende medewerker",
		"human_review:opened":       "beoordeling door een mens gevraagd",
		"human_review:closed":       "beoordeling door een mens afgerond",
		"inform_client:opened":      "de cliënt moet worden geïnformeerd",
		"inform_client:closed":      "vastgelegd of de cliënt is geïnformeerd",
		"coordinator_review:opened": "beoordeling door de coördinator gepland",
		"coordinator_review:closed": "beoordeeld door de coördinator",
		"consent:used":              "toestemming gebruikt",
	}
)

func nl(m map[string]string, code string) string {
	if s, ok := m[code]; ok {
		return s
	}
	return code
}

func local(t time.Time) time.Time { return t.In(calendar.Location()) }

func date(t time.Time) string {
	t = local(t)
	return fmt.Sprintf("%d %s %d", t.Day(), maanden[t.Month()-1], t.Year())
}

var funcs = template.FuncMap{
	"date":     date,
	"datetime": func(t time.Time) string { return date(t) + ", " + local(t).Format("15:04") },
	"inc":      func(i int) int { return i + 1 },
	"join":     func(s []string) string { return strings.Join(s, ", ") },
	"basis":    func(s string) string { return nl(nlBasis, s) },
	"purpose":  func(s string) string { return nl(nlPurpose, s) },
	"state":    func(s string) string { return nl(nlState, s) },
	"msgstatus": func(s string) string {
		return nl(nlMessage, s)
	},
	"categories": func(cs []string) string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = nl(nlCategory, c)
		}
		return strings.Join(out, "; ")
	},
	"followups": func(fs []string) string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = nl(nlFollowUp, f)
		}
		return strings.Join(out, "; ")
	},
	"messagetype": func(mt string) string {
		if len(mt) >= 3 {
			if s, ok := nlMessageType[mt[len(mt)-3:]]; ok {
				return s
			}
		}
		return "bericht " + mt
	},
	"event": func(e string) string {
		if st, ok := strings.CutPrefix(e, "state:"); ok {
			return nl(nlState, st)
		}
		return nl(nlEvent, e)
	},
}

var accessTemplate = template.Must(template.New("access").Funcs(funcs).Parse(accessHTML))

// WriteHTML renders the report as the printable Dutch document an employee
// hands to the client (docs/client-rights.md): self-contained HTML with
// print styles, no scripts and no outside assets.
func (r Report) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	if err := accessTemplate.Execute(&b, r); err != nil {
		return fmt.Errorf("access report html: %w", err)
	}
	_, err := b.WriteTo(w)
	return err
}
