package disclosure_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
)

// intakeClock is the receiver-rule tests' clock: 3 December 2026, 10:00 in
// Amsterdam, so the day of intake (the Dagtekening) is 2026-12-03.
var intakeClock = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func product(number int, code, start, end, reason string) map[string]any {
	p := map[string]any{
		"number": number, "product": map[string]any{"category": "01", "code": code},
		"assigned_on": "2026-11-20", "assigned_at": "12:34:56", "start": start,
		"volume": map[string]any{"amount": 10, "unit": "01", "frequency": "1"},
	}
	if end != "" {
		p["end"] = end
	}
	if reason != "" {
		p["change_reason"] = reason
	}
	return p
}

func relationNumbered(number, birth string) map[string]any {
	r := relation()
	r["number"] = number
	if birth != "" {
		r["birth_date"] = birth
	}
	return r
}

type edit struct {
	path  string
	value any
}

type receiverCase struct {
	name     string
	base     string // iwmo-301.json when empty
	clock    time.Time
	edits    []edit
	wantPath string // "" for an accepted request
	wantRule string
}

// receiverCases: a golden good and bad request for each rule the intake
// decides from the request alone (docs/message-rules.md).
var receiverCases = []receiverCase{
	// CS139: DatumGebruik and the date agree.
	{name: "CS139 bad: usage 1 (day unknown) with day 13", edits: []edit{{"client.birth_date_usage", "1"}},
		wantPath: "/client/birth_date", wantRule: "CS139"},
	{name: "CS139 good: usage 1 with day 01", edits: []edit{{"client.birth_date_usage", "1"}, {"client.birth_date", "1967-08-01"}}},
	{name: "CS139 bad: usage 2 (day and month unknown) with 08-01", edits: []edit{{"client.birth_date_usage", "2"}, {"client.birth_date", "1967-08-01"}},
		wantPath: "/client/birth_date", wantRule: "CS139"},
	{name: "CS139 good: usage 2 with 01-01", edits: []edit{{"client.birth_date_usage", "2"}, {"client.birth_date", "1967-01-01"}}},
	{name: "CS139 bad: usage 3 (unknown) with a real date", edits: []edit{{"client.birth_date_usage", "3"}, {"client.birth_date", "1967-01-01"}},
		wantPath: "/client/birth_date", wantRule: "CS139"},
	{name: "CS139 good: usage 3 with 1900-01-01 (and TR002 does not apply)", edits: []edit{{"client.birth_date_usage", "3"}, {"client.birth_date", "1900-01-01"}}},

	// TR002: not more than 120 years before the day of intake.
	{name: "TR002 bad: born 120 years and a day before", edits: []edit{{"client.birth_date", "1906-12-02"}},
		wantPath: "/client/birth_date", wantRule: "TR002"},
	{name: "TR002 good: born exactly 120 years before", edits: []edit{{"client.birth_date", "1906-12-03"}}},
	{name: "TR002 bad: 1900-01-01 without usage 3", edits: []edit{{"client.birth_date", "1900-01-01"}},
		wantPath: "/client/birth_date", wantRule: "TR002"},
	{name: "TR002 good: a relation born long ago (TR002 is about the client)",
		edits: []edit{{"client.relations", []any{relationNumbered("R1", "1890-05-05")}}}},

	// TR134: no date after the day of intake.
	{name: "TR134 bad: born tomorrow", edits: []edit{{"client.birth_date", "2026-12-04"}},
		wantPath: "/client/birth_date", wantRule: "TR134"},
	{name: "TR134 good: born today", edits: []edit{{"client.birth_date", "2026-12-03"}}},
	{name: "TR134 bad: a relation born tomorrow", edits: []edit{{"client.relations", []any{relationNumbered("R1", "2026-12-04")}}},
		wantPath: "/client/relations/0/birth_date", wantRule: "TR134"},
	{name: "TR134 good: a relation born today", edits: []edit{{"client.relations", []any{relationNumbered("R1", "2026-12-03")}}}},
	{name: "TR134 bad: assigned tomorrow", edits: []edit{{"assignment.products.0.assigned_on", "2026-12-04"}},
		wantPath: "/assignment/products/0/assigned_on", wantRule: "TR134"},
	{name: "TR134 good: assigned today", edits: []edit{{"assignment.products.0.assigned_on", "2026-12-03"}}},
	{name: "TR134 good: the day is Amsterdam's (00:30 there, still the 2nd in UTC)",
		clock: time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC), edits: []edit{{"assignment.products.0.assigned_on", "2026-12-03"}}},
	{name: "TR134 bad: tomorrow in Amsterdam (23:30 there on the 3rd)",
		clock: time.Date(2026, 12, 3, 22, 30, 0, 0, time.UTC), edits: []edit{{"assignment.products.0.assigned_on", "2026-12-04"}},
		wantPath: "/assignment/products/0/assigned_on", wantRule: "TR134"},

	// TR101: numbers unique in the request.
	{name: "TR101 bad: two products numbered 101",
		edits:    []edit{{"assignment.products", []any{product(101, "01A01", "2026-12-01", "2027-11-30", ""), product(101, "01A02", "2026-12-01", "2027-11-30", "")}}},
		wantPath: "/assignment/products/1/number", wantRule: "TR101"},
	{name: "TR101 good: products numbered 101 and 102",
		edits: []edit{{"assignment.products", []any{product(101, "01A01", "2026-12-01", "2027-11-30", ""), product(102, "01A02", "2026-12-01", "2027-11-30", "")}}}},
	{name: "TR101 bad: two relations numbered R1", edits: []edit{{"client.relations", []any{relationNumbered("R1", ""), relationNumbered("R1", "")}}},
		wantPath: "/client/relations/1/number", wantRule: "TR101"},
	{name: "TR101 good: relations R1 and R2", edits: []edit{{"client.relations", []any{relationNumbered("R1", ""), relationNumbered("R2", "")}}}},

	// TR302: one product not in overlapping periods.
	{name: "TR302 bad: 01A01 twice in overlapping periods",
		edits:    []edit{{"assignment.products", []any{product(101, "01A01", "2026-12-01", "2027-11-30", ""), product(102, "01A01", "2027-01-01", "", "")}}},
		wantPath: "/assignment/products/1/start", wantRule: "TR302"},
	{name: "TR302 good: 01A01 twice, one period after the other",
		edits: []edit{{"assignment.products", []any{product(101, "01A01", "2026-12-01", "2027-11-30", ""), product(102, "01A01", "2027-12-01", "", "")}}}},
	{name: "TR302 good: the overlapping one is removed (end = start, reason 13)",
		edits: []edit{{"assignment.products", []any{product(101, "01A01", "2026-12-01", "2027-11-30", ""), product(102, "01A01", "2027-01-01", "2027-01-01", "13")}}}},

	// TR378: gemeentecodes in the CBS list.
	{name: "TR378 bad: sender municipality 9999", edits: []edit{{"sender.municipality", "9999"}},
		wantPath: "/sender/municipality", wantRule: "TR378"},
	{name: "TR378 good: sender municipality 0599", edits: []edit{{"sender.municipality", "0599"}}},
	{name: "TR378 bad: iJw 319 residence municipality 9999", base: "ijw-319.json", edits: []edit{{"answer.residence_municipality", "9999"}},
		wantPath: "/answer/residence_municipality", wantRule: "TR378"},
	{name: "TR378 good: iJw 319 residence municipality 0599", base: "ijw-319.json", edits: []edit{{"answer.residence_municipality", "0599"}}},
}

// TestIntakeAppliesReceiverRules: each bad case is refused at intake with
// its rule at its JSON path, and the problem does not quote the value;
// each good case passes. The message composed on the same day agrees:
// messages.Build refuses a bad case with the same rule (they share the
// rule functions) and accepts a good one.
func TestIntakeAppliesReceiverRules(t *testing.T) {
	for _, tc := range receiverCases {
		t.Run(tc.name, func(t *testing.T) {
			clock := tc.clock
			if clock.IsZero() {
				clock = intakeClock
			}
			d, err := disclosure.NewDecoder(disclosure.WithClock(func() time.Time { return clock }))
			if err != nil {
				t.Fatal(err)
			}
			base := tc.base
			if base == "" {
				base = "iwmo-301.json"
			}
			m := disclosure.Example(t, base)
			for _, e := range tc.edits {
				disclosure.SetPath(m, e.path, e.value, false)
			}
			body, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			req, err := d.Decode(body)
			var bare disclosure.Request
			if uerr := json.Unmarshal(body, &bare); uerr != nil {
				t.Fatal(uerr)
			}
			_, cerr := compose.New().Compose(bare, receipts.Record{Identificatie: "4711", CreatedAt: clock})
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if req.ID == "" {
					t.Fatal("decoded request has no id")
				}
				if cerr != nil {
					t.Fatalf("accepted at intake, but Build refuses: %v", cerr)
				}
				return
			}
			var inv *disclosure.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("want *InvalidError, got %v", err)
			}
			if !errors.Is(err, disclosure.ErrInvalid) {
				t.Fatal("not ErrInvalid")
			}
			found := false
			for _, p := range inv.Problems {
				if p.Rule == tc.wantRule && p.Path == tc.wantPath {
					found = true
					if !strings.Contains(p.Message, tc.wantRule) {
						t.Errorf("message %q does not name the rule", p.Message)
					}
				}
			}
			if !found {
				t.Fatalf("no problem %s at %s in %v", tc.wantRule, tc.wantPath, inv.Problems)
			}
			for _, e := range tc.edits {
				if s, ok := e.value.(string); ok && len(s) > 1 && strings.Contains(inv.Error(), s) {
					t.Errorf("problem quotes the value %q: %s", s, inv)
				}
			}
			var re *messages.RuleError
			if !errors.As(cerr, &re) || !hasRule(cerr, tc.wantRule) {
				t.Fatalf("refused at intake with %s, but Build says %v", tc.wantRule, cerr)
			}
		})
	}
}

// hasRule reports whether err (or one it joins) is a RuleError of code.
func hasRule(err error, code string) bool {
	var re *messages.RuleError
	if errors.As(err, &re) && re.Code == code {
		return true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if hasRule(e, code) {
				return true
			}
		}
	}
	if u := errors.Unwrap(err); u != nil {
		return hasRule(u, code)
	}
	return false
}

func TestNewDecoderRefusesANilClock(t *testing.T) {
	if _, err := disclosure.NewDecoder(disclosure.WithClock(nil)); err == nil {
		t.Fatal("a nil clock was accepted")
	}
}
