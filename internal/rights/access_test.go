package rights_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/adapters/store/sqlite"
	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/internal/actor"
	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/jsoncheck"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/rights"
)

const (
	bsn      = "999993653"
	otherBSN = "999990019"
)

var secret = bytes.Repeat([]byte{7}, 32)

func clientKey(b string) string { return consent.ClientKey(secret, b) }

// fixture is a real SQLite store and archive with, for one client of 0363:
// a delivered consent share, a refused share and a delivered safety
// override; and disclosures of the same client by 0599 and of another
// client by 0363, which the report must not list.
type fixture struct {
	store   *sqlite.Store
	archive *archive.Archive
	svc     *rights.Service
	ctx     context.Context
}

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := actor.With(context.Background(), actor.Staff("s-1", "privacy_officer", "0363"))
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	m, err := archive.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	a, err := archive.New(s, m)
	if err != nil {
		t.Fatal(err)
	}
	providers, err := provider.New([]provider.Provider{{AGB: "42420001", Name: "Zorg Noord"}, {AGB: "42420002", Name: "Hulp Zuid"}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rights.New(rights.Config{Records: s, Ledger: s, Archive: a, Providers: providers, Glass: s, ClientKey: clientKey,
		Now: func() time.Time { return t0.Add(72 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, archive: a, svc: svc, ctx: ctx}
	sys := actor.With(context.Background(), actor.SenderEmployee("regsys-demo", "0363", "e-7f3a"))
	f.share(t, sys, "d-delivered", "0363", bsn, "42420001", "consent", receipts.Change{To: receipts.Allowed,
		Detail: map[string]string{"basis": "consent", "consents": "c-1", "categories": "care_assignment,identification"}},
		receipts.Change{To: receipts.Published}, receipts.Change{To: receipts.Delivered})
	f.share(t, sys, "d-refused", "0363", bsn, "42420002", "consent", receipts.Change{To: receipts.Refused,
		Reason: "Refused: no consent.", ReasonCodes: []string{"CONSENT_MISSING"},
		Detail: map[string]string{"basis": "consent", "categories": "contact,identification"}})
	f.share(t, sys, "d-override", "0363", bsn, "42420002", "safety_override", receipts.Change{To: receipts.Allowed,
		Detail: map[string]string{"basis": "safety_override", "follow_up": "inform_client,coordinator_review",
			"inform_client_due": "2026-11-21T09:00:00Z", "categories": "identification"}},
		receipts.Change{To: receipts.Published}, receipts.Change{To: receipts.Delivered})
	other := actor.With(context.Background(), actor.SenderEmployee("regsys-b", "0599", "e-1"))
	f.share(t, other, "d-of-0599", "0599", bsn, "42420001", "consent", receipts.Change{To: receipts.Allowed},
		receipts.Change{To: receipts.Published}, receipts.Change{To: receipts.Delivered})
	f.share(t, sys, "d-other-client", "0363", otherBSN, "42420001", "consent", receipts.Change{To: receipts.Allowed},
		receipts.Change{To: receipts.Published}, receipts.Change{To: receipts.Delivered})
	return f
}

// share registers and moves a disclosure as the pipeline does, archiving
// the message of a delivered one.
func (f *fixture) share(t *testing.T, ctx context.Context, id, municipality, clientBSN, agb, basis string, cs ...receipts.Change) {
	t.Helper()
	_, _, err := f.store.Register(ctx, receipts.Record{DisclosureID: id, Municipality: municipality, System: "regsys-demo",
		Recipient: agb, Standard: "iWmo", MessageType: "WMO301", Purpose: "care_assignment", Basis: basis,
		ClientKey: clientKey(clientBSN), RequestHash: "h-" + id})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := f.store.MoveAll(ctx, id, cs...)
	if err != nil {
		t.Fatal(err)
	}
	if rs[len(rs)-1].State == receipts.Delivered {
		if err := f.archive.Put(ctx, id, clientKey(clientBSN), signed(id), t0.AddDate(15, 0, 0)); err != nil {
			t.Fatal(err)
		}
	}
}

func signed(id string) []byte {
	return []byte(`<sluis:Envelope id="` + id + `"><Bericht><Bsn>` + bsn + `</Bsn></Bericht><ds:Signature/></sluis:Envelope>`)
}

var (
	question = rights.Question{BSN: bsn, Reference: "ZK-2026/0042"}
	// asker is a privacy officer of 0363, not the sending employee.
	asker = rights.Asker{ID: "s-1", Municipality: "0363"}
)

// The report lists each of the client's disclosures of the municipality
// exactly as the ledger does, validates against the published schema, and
// is itself a ledger entry.
func TestAccessReportEqualsLedger(t *testing.T) {
	f := newFixture(t)
	rep, err := f.svc.Access(f.ctx, asker, question)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range rep.Disclosures {
		ids = append(ids, d.ID)
	}
	if want := []string{"d-delivered", "d-refused", "d-override"}; !slices.Equal(ids, want) {
		t.Fatalf("disclosures %v, want %v (0599's and the other client's left out)", ids, want)
	}
	for _, d := range rep.Disclosures {
		es, err := f.store.EntriesFor(f.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != len(d.Ledger) {
			t.Fatalf("%s: %d ledger events in the report, %d in the ledger", d.ID, len(d.Ledger), len(es))
		}
		for i, e := range es {
			g := d.Ledger[i]
			if g.Seq != e.Seq || !g.At.Equal(e.At) || g.Event != e.Event || !maps.Equal(g.Detail, nonNil(e.Detail)) {
				t.Errorf("%s event %d: report %+v, ledger %+v", d.ID, i, g, e)
			}
		}
		rec, err := f.store.Get(f.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != string(rec.State) || d.LegalBasis != rec.Basis || d.Recipient.AGB != rec.Recipient || len(d.States) != len(rec.At) {
			t.Errorf("%s: report %+v, record %+v", d.ID, d, rec)
		}
	}
	byID := map[string]rights.Disclosure{}
	for _, d := range rep.Disclosures {
		byID[d.ID] = d
	}
	cases := []struct {
		name  string
		id    string
		check func(d rights.Disclosure) bool
	}{
		{"delivered: archived message, provider name, categories", "d-delivered", func(d rights.Disclosure) bool {
			return d.Message.Status == rights.MessageArchived && d.Message.Content == string(signed("d-delivered")) &&
				d.Recipient.Name == "Zorg Noord" && slices.Equal(d.Categories, []string{"care_assignment", "identification"}) && d.Refusal == nil
		}},
		{"refused: reason and codes, nothing archived", "d-refused", func(d rights.Disclosure) bool {
			return d.Refusal != nil && d.Refusal.Reason == "Refused: no consent." && slices.Equal(d.Refusal.Codes, []string{"CONSENT_MISSING"}) &&
				d.Message.Status == rights.MessageNotArchived && d.Message.Content == ""
		}},
		{"override: basis and follow-ups", "d-override", func(d rights.Disclosure) bool {
			return d.LegalBasis == "safety_override" && slices.Equal(d.FollowUps, []string{"inform_client", "coordinator_review"}) &&
				d.Message.Status == rights.MessageArchived
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := byID[tc.id]; !tc.check(d) {
				t.Fatalf("%+v", d)
			}
		})
	}

	// The JSON export validates against docs/contract/access-v1.schema.json.
	schema, err := jsoncheck.Compile("urn:sluis:contract:access:1", contract.AccessV1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if ps := schema.Check(b); len(ps) > 0 {
		t.Fatalf("report does not validate: %v\n%s", ps, b)
	}

	// The request itself is in the ledger, without BSN or client key.
	assertAnswerRecorded(t, f, rights.EventAccess, map[string]string{"municipality": "0363",
		"request_reference": "ZK-2026/0042", "disclosures": "3", "messages": "2", "break_glass": "2"})

	// Handing over the two messages broke the glass, with the client's
	// request as the reason: on the coordinator's list.
	items, err := f.store.ListItems(f.ctx, "0363", casework.KindBreakGlass, true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].DisclosureID != "d-delivered" || items[1].DisclosureID != "d-override" ||
		items[0].Reason != casework.ReasonClientRequest || items[0].Reference != "ZK-2026/0042" {
		t.Fatalf("break-glass items %+v", items)
	}
}

// The sending employee's own access report breaks no glass.
func TestAccessBySender(t *testing.T) {
	f := newFixture(t)
	rep, err := f.svc.Access(f.ctx, rights.Asker{ID: "e-7f3a", Municipality: "0363"}, question)
	if err != nil || len(rep.Disclosures) != 3 {
		t.Fatalf("%+v %v", rep, err)
	}
	if items, err := f.store.ListItems(f.ctx, "0363", casework.KindBreakGlass, false, 10); err != nil || len(items) != 0 {
		t.Fatalf("break-glass items %+v %v", items, err)
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func assertAnswerRecorded(t *testing.T, f *fixture, event string, want map[string]string) {
	t.Helper()
	es, err := f.store.Entries(f.ctx, 1, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.Verify(es); err != nil {
		t.Fatal(err)
	}
	var found []ledger.Entry
	for _, e := range es {
		if e.Event == event {
			found = append(found, e)
		}
		for _, v := range e.Detail {
			if strings.Contains(v, bsn) || strings.Contains(v, clientKey(bsn)) {
				t.Fatalf("ledger entry %d holds the BSN or client key: %+v", e.Seq, e)
			}
		}
	}
	if len(found) != 1 || !maps.Equal(found[0].Detail, want) || !strings.Contains(found[0].Actor, "s-1") {
		t.Fatalf("%s entries: %+v, want one with %v by s-1", event, found, want)
	}
}

func TestAccessReportHTML(t *testing.T) {
	f := newFixture(t)
	rep, err := f.svc.Access(f.ctx, asker, question)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`<html lang="nl">`, "Overzicht van gedeelde gegevens", "ZK-2026/0042", "Zorg Noord", "AGB-code 42420002",
		"geweigerd: niet gedeeld", "CONSENT_MISSING", "acuut veiligheidsrisico", "de cliënt informeren", "@media print",
		"23 november 2026", "Bijlage: de verstuurde berichten", "bericht ingezien door een medewerker die het niet verstuurde", "&lt;sluis:Envelope id=&#34;d-delivered&#34;&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("the document lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "d-of-0599", "d-other-client"} {
		if strings.Contains(html, bad) {
			t.Errorf("the document holds %q", bad)
		}
	}
}

// Destroying the client's archive key makes the archived messages
// unreadable in the report, while the ledger still verifies.
func TestAccessAfterShredding(t *testing.T) {
	f := newFixture(t)
	if err := f.archive.Shred(f.ctx, clientKey(bsn)); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.Access(f.ctx, asker, question)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Disclosures {
		want := rights.MessageShredded
		if d.ID == "d-refused" {
			want = rights.MessageNotArchived
		}
		if d.Message.Status != want || d.Message.Content != "" {
			t.Errorf("%s: message %+v, want %s without content", d.ID, d.Message, want)
		}
		if len(d.Ledger) == 0 {
			t.Errorf("%s: ledger events gone after shredding", d.ID)
		}
	}
	if _, err := f.archive.Get(f.ctx, "d-delivered"); !errors.Is(err, archive.ErrShredded) {
		t.Fatalf("archive.Get after shred: %v", err)
	}
	// The other client's message is still readable.
	if _, err := f.archive.Get(f.ctx, "d-other-client"); err != nil {
		t.Fatalf("another client's message: %v", err)
	}
	es, err := f.store.Entries(f.ctx, 1, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.Verify(es); err != nil {
		t.Fatalf("ledger after shredding: %v", err)
	}
}

func TestRecipients(t *testing.T) {
	f := newFixture(t)
	got, err := f.svc.Recipients(f.ctx, asker, question)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Recipients) != 2 {
		t.Fatalf("recipients %+v", got.Recipients)
	}
	cases := []struct {
		name  string
		i     int
		agb   string
		names string
		ids   []string
	}{
		{"the consent share's provider", 0, "42420001", "Zorg Noord", []string{"d-delivered"}},
		{"the override's provider; the refused share to it is not a receipt", 1, "42420002", "Hulp Zuid", []string{"d-override"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := got.Recipients[tc.i]
			if r.AGB != tc.agb || r.Name != tc.names || !slices.Equal(r.Disclosures, tc.ids) || r.Received != rights.ReceivedDelivered {
				t.Fatalf("%+v", r)
			}
		})
	}
	assertAnswerRecorded(t, f, rights.EventRecipients, map[string]string{"municipality": "0363",
		"request_reference": "ZK-2026/0042", "recipients": "2"})
}

func TestQuestionRefusals(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name         string
		municipality string
		q            rights.Question
		field        string
	}{
		{"BSN failing the 11-proef", "0363", rights.Question{BSN: "123456789", Reference: "ZK-1"}, "bsn"},
		{"no BSN", "0363", rights.Question{Reference: "ZK-1"}, "bsn"},
		{"no reference", "0363", rights.Question{BSN: bsn}, "request_reference"},
		{"a reference with spaces (a text, not a case number)", "0363", rights.Question{BSN: bsn, Reference: "mevrouw Jansen"}, "request_reference"},
		{"a reference too long", "0363", rights.Question{BSN: bsn, Reference: strings.Repeat("a", 65)}, "request_reference"},
		{"no municipality", "", question, "municipality"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Access(f.ctx, rights.Asker{ID: "s-1", Municipality: tc.municipality}, tc.q)
			var re *rights.RequestError
			if !errors.Is(err, rights.ErrBadRequest) || !errors.As(err, &re) || re.Field != tc.field {
				t.Fatalf("err %v, want a refusal of %s", err, tc.field)
			}
			if strings.Contains(err.Error(), bsn) {
				t.Fatalf("the refusal names the BSN: %v", err)
			}
		})
	}
	// Without an actor the answer is not given: it could not be recorded.
	if _, err := f.svc.Access(context.Background(), asker, question); !errors.Is(err, rights.ErrUnavailable) || !errors.Is(err, actor.ErrMissing) {
		t.Fatalf("without an actor: %v", err)
	}
}
