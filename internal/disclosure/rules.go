package disclosure

import (
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/internal/calendar"
	"github.com/sluis-gateway/sluis/messages"
)

// Option configures a Decoder.
type Option func(*Decoder)

// WithClock sets the clock the receiving side's date rules are decided
// against (default time.Now): the day of intake, in Europe/Amsterdam, is
// the Dagtekening the composed message will carry.
func WithClock(now func() time.Time) Option { return func(d *Decoder) { d.now = now } }

// receiverProblems applies the receiving side's technical rules that the
// request alone decides (docs/message-rules.md, "Which of these the intake
// refuses from the request alone"): CS139, TR002, TR134, TR101, TR302 and
// TR378, by calling the rules of package messages (one home for each rule)
// on the request's values and naming the request's JSON path. day is the
// day of intake: the Dagtekening of the message the request becomes. The
// schema has already passed, so dates are well formed; one that does not
// parse is left to the schema's report and skipped here.
func receiverProblems(r Request, day messages.Date) []Problem {
	var ps []Problem
	add := func(path string, f messages.Finding) {
		ps = append(ps, Problem{Path: path, Rule: f.Code, Message: f.Message + " (" + f.Code + ")"})
	}
	if f, ok := messages.GemeenteFinding(r.Sender.Municipality); ok {
		add("/sender/municipality", f)
	}
	if r.Answer != nil && r.Answer.ResidenceMunicipality != "" {
		if f, ok := messages.GemeenteFinding(r.Answer.ResidenceMunicipality); ok {
			add("/answer/residence_municipality", f)
		}
	}
	if r.Client.IsZero() {
		return ps // a 319: no client, no assignment
	}

	if d, ok := date(r.Client.BirthDate); ok {
		g := messages.Geboortedatum{Datum: d, DatumGebruik: messages.DatumGebruik(r.Client.BirthDateUsage)}
		for _, f := range messages.BirthDateFindings(g, day, true) {
			add("/client/birth_date", f)
		}
	}
	numbers := make([]string, len(r.Client.Relations))
	for i, rel := range r.Client.Relations {
		numbers[i] = rel.Number
		if d, ok := date(rel.BirthDate); ok {
			for _, f := range messages.BirthDateFindings(messages.Geboortedatum{Datum: d}, day, false) {
				add(fmt.Sprintf("/client/relations/%d/birth_date", i), f)
			}
		}
	}
	for _, i := range messages.Repeated(numbers) {
		add(fmt.Sprintf("/client/relations/%d/number", i), messages.Finding{Code: "TR101", Message: "a second relation with this number"})
	}

	products := r.Assignment.Products
	ids := make([]int64, len(products))
	tps := make([]messages.ToegewezenProduct, len(products))
	for i, p := range products {
		ids[i] = p.Number
		if d, ok := date(p.AssignedOn); ok {
			if f, ok := messages.DateFinding(d, day); ok {
				add(fmt.Sprintf("/assignment/products/%d/assigned_on", i), f)
			}
		}
		tp := messages.ToegewezenProduct{RedenWijziging: messages.RedenWijziging(p.ChangeReason)}
		if p.Product != nil {
			tp.Product = &messages.Product{Categorie: messages.ProductCategorie(p.Product.Category), Code: p.Product.Code}
		}
		tp.Ingangsdatum, _ = date(p.Start)
		tp.Einddatum, _ = date(p.End)
		tps[i] = tp
	}
	for _, i := range messages.Repeated(ids) {
		add(fmt.Sprintf("/assignment/products/%d/number", i), messages.Finding{Code: "TR101", Message: "a second product with this number"})
	}
	for _, o := range messages.Overlaps(tps) {
		add(fmt.Sprintf("/assignment/products/%d/start", o.Index), messages.Finding{Code: "TR302",
			Message: fmt.Sprintf("period overlaps /assignment/products/%d of the same product", o.Earlier)})
	}
	return ps
}

// date parses an optional request date; false when absent or malformed.
func date(s string) (messages.Date, bool) {
	if s == "" {
		return messages.Date{}, false
	}
	d, err := messages.ParseDate(s)
	return d, err == nil
}

// intakeDay is the day of intake in Europe/Amsterdam.
func (d *Decoder) intakeDay() messages.Date {
	return messages.DateOf(d.now().In(calendar.Location()))
}
