package minimise

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// The differential test of issue 7: Check walks the typed request; it must
// return exactly what the JSON-tree implementation it replaced
// (legacyCheck, legacy_test.go) returns, field for field (reflect.DeepEqual
// on the whole Result, the checked copy included).

// assertSameAsLegacy fails t when Check and legacyCheck disagree on one
// input, and checks that neither modified the request.
func assertSameAsLegacy(t testing.TB, req disclosure.Request, p Profile, b Basis) {
	t.Helper()
	before := fmt.Sprintf("%#v", req)
	got := Check(req, p, b)
	want := legacyCheck(req, p, b)
	if after := fmt.Sprintf("%#v", req); after != before {
		t.Fatalf("%s: the request was modified", p.Key())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: Check differs from the JSON-tree implementation\n got: %#v\nwant: %#v", p.Key(), got, want)
	}
	if got.Allowed && len(got.Request.Client.Relations) > 0 && len(req.Client.Relations) > 0 &&
		&got.Request.Client.Relations[0] == &req.Client.Relations[0] {
		t.Fatalf("the checked copy shares memory with the request")
	}
}

// mutateProfile returns a copy of p with random rule changes: uses moved
// between required, allowed, strip and never, rules dropped, on_extra
// strip. The result need not validate; Check must still agree.
func mutateProfile(rng *rand.Rand, p Profile) Profile {
	q := p
	q.Fields = nil
	uses := []string{UseRequired, UseAllowed, UseStrip, UseNever}
	for _, r := range p.Fields {
		switch rng.IntN(8) {
		case 0: // dropped
			continue
		case 1, 2:
			r.Use = uses[rng.IntN(len(uses))]
		}
		q.Fields = append(q.Fields, r)
	}
	// Group rules and rules the profile does not have.
	extra := []string{"/client/relations", "/client/relations/*/contact", "/client/relations/*/name", "/client/name",
		"/client/contacts/*/address", "/client/contacts/*/phones", "/assignment/products/*/volume",
		"/assignment/products/*/product", "/client/communication", "/answer", "/client/contacts", "/assignment/products/*/number",
		"/client/relations/*/contact/phones/*/number", "/client/contacts/*/period"}
	// Single fields, so that siblings survive what is stripped.
	for range rng.IntN(6) {
		f := fieldTable[rng.IntN(len(fieldTable))]
		q.Fields = append(q.Fields, FieldRule{Path: f.Path, Use: uses[rng.IntN(len(uses))]})
	}
	for range rng.IntN(4) {
		q.Fields = append(q.Fields, FieldRule{Path: extra[rng.IntN(len(extra))], Use: uses[rng.IntN(len(uses))]})
	}
	if rng.IntN(2) == 0 {
		q.OnExtra = ExtraStrip
	}
	return q
}

// mutateRequest bends a generated request towards the corners of the JSON
// form: invalid UTF-8, empty non-nil slices, empty objects, zero numbers,
// relations of control data only, times in the envelope.
func mutateRequest(rng *rand.Rand, r *disclosure.Request) {
	c := &r.Client
	switch rng.IntN(14) {
	case 12: // elements that stripping may empty, in front of the others
		c.Relations = append([]disclosure.Relation{{Order: intp(1), InformedAndAgreed: true}, {Gender: "1", Contact: disclosure.Contact{Email: "x@example.org"}}}, c.Relations...)
		c.Contacts = append([]disclosure.Contact{{Email: "y@example.org"}, {Organisation: "Org", Phones: []disclosure.Phone{{CountryCode: "0031"}}}}, c.Contacts...)
	case 13:
		r.Assignment.Products = append([]disclosure.Product{{Comment: "Graag snel.", Volume: &disclosure.Volume{Unit: "01"}}}, r.Assignment.Products...)
	case 0:
		c.Name.GivenNames = "Jo\xffost\xfe"
		c.Comment = "Overleg \xc3 gevoerd."
	case 1:
		c.Relations = []disclosure.Relation{}
		r.LegalBasis.ConsentIDs = []string{}
	case 2:
		c.Contacts = []disclosure.Contact{}
	case 3:
		c.Contacts = append(c.Contacts, disclosure.Contact{Address: &disclosure.Address{}, Phones: []disclosure.Phone{}})
	case 4:
		c.Relations = append(c.Relations, disclosure.Relation{InformedAndAgreed: true}, disclosure.Relation{Order: intp(0)})
	case 5:
		r.Assignment.Products = append(r.Assignment.Products, disclosure.Product{Volume: &disclosure.Volume{}, Budget: int64p(0)})
	case 6:
		r.LegalBasis.Consultation = &disclosure.Consultation{Consulted: "e-1", Role: "manager",
			At: time.Date(2026, 11, 23, 9, 30, 0, 5, time.FixedZone("CET", 3600)), Note: "x"}
		at := time.Now()
		r.LegalBasis.Informed = &disclosure.ClientInformed{At: &at}
	case 7:
		r.LegalBasis.Consultation = &disclosure.Consultation{At: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)} // cannot be encoded
	case 8:
		r.Answer = &disclosure.Answer{ProviderReference: "VOT-1", Answer: "1"}
	case 9:
		c.Communication = &disclosure.Communication{}
		if len(c.Contacts) > 0 {
			c.Contacts[0].Period = &disclosure.Period{}
		}
	case 10:
		if len(r.Assignment.Products) > 0 {
			r.Assignment.Products[0].Product = &disclosure.ProductCode{}
			r.Assignment.Products[0].Number = 0
		}
	}
}

func TestCheckSameAsJSONTree(t *testing.T) {
	ps, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	all := ps.All()
	n := 3000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(20261123, 7))
	stripped, allowed := 0, 0
	for i := range n {
		req, b := genRequest(rng), genBasis(rng)
		if i%2 == 1 {
			mutateRequest(rng, &req)
		}
		p := mustFor(t, ps, req)
		t.Run(fmt.Sprintf("case %d", i), func(t *testing.T) {
			assertSameAsLegacy(t, req, p, b)
			assertSameAsLegacy(t, req, all[rng.IntN(len(all))], b)
			assertSameAsLegacy(t, req, mutateProfile(rng, p), b)
			assertSameAsLegacy(t, req, mutateProfile(rng, all[rng.IntN(len(all))]), b)
		})
		res := Check(req, p, b)
		if len(res.Stripped) > 0 {
			stripped++
		}
		if res.Allowed {
			allowed++
		}
	}
	t.Logf("%d random disclosures: %d allowed, %d with stripped fields under their own profile", n, allowed, stripped)
}

func TestCheckSameAsJSONTreeOnTheTables(t *testing.T) {
	for _, tc := range checkCases() {
		t.Run(tc.name, func(t *testing.T) {
			std, purpose := tc.std, tc.purpose
			if std == "" {
				std = "iWmo"
			}
			if purpose == "" {
				purpose = "care_assignment"
			}
			r := baseRequest(std, purpose)
			if tc.full {
				r = fullRequest(std)
			}
			if tc.req != nil {
				tc.req(&r)
			}
			p := embeddedProfile(t, std, purpose)
			if tc.profile != nil {
				p.Fields = slices.Clone(p.Fields)
				tc.profile(&p)
			}
			assertSameAsLegacy(t, r, p, tc.basis)
		})
	}
	for _, std := range []string{"iWmo", "iJw"} {
		p := embeddedProfileFor(t, std, "319", "care_assignment")
		assertSameAsLegacy(t, answerRequest(std), p, legal)
		assertSameAsLegacy(t, fullAnswerRequest(std), p, consentBasis(category.CareAssignment))
		assertSameAsLegacy(t, fullRequest(std), p, legal)
	}
}

// TestCheckSameAsJSONTreeWhenObjectsArePruned: an object every field of
// which is stripped is gone from the checked request, also for a required
// rule beneath it that crosses an array (the JSON tree reported the rule's
// own pattern there).
func TestCheckSameAsJSONTreeWhenObjectsArePruned(t *testing.T) {
	p := embeddedProfile(t, "iWmo", "care_assignment")
	p.Fields = append(slices.Clone(p.Fields),
		FieldRule{Path: "/client/relations/*/contact", Use: UseStrip},
		FieldRule{Path: "/client/relations/*/contact/phones/*/number", Use: UseRequired},
		FieldRule{Path: "/client/relations/*/name", Use: UseStrip},
		FieldRule{Path: "/client/contacts/*/address", Use: UseStrip},
		FieldRule{Path: "/client/contacts/*/address/house_number", Use: UseRequired},
	)
	r := fullRequest("iWmo")
	r.Client.Relations[0].Contact.Phones = nil
	r.Client.Relations[0].Contact.Kind = ""
	r.Client.Relations[0].Name.Surname, r.Client.Relations[0].Name.NameUsage = "", ""
	r.Client.Relations = append(r.Client.Relations, relation("Smit", "", ""))
	r.Client.Contacts[0].Address.HouseNumber = nil
	got := Check(r, p, legal)
	if !slices.Contains(got.Codes(), CodeRequiredMissing) {
		t.Fatalf("the case does not prune and refuse: %v", got.Sentence())
	}
	if !slices.ContainsFunc(got.Problems, func(p Problem) bool { return p.Path == "/client/relations/0/contact/phones/*/number" }) {
		t.Fatalf("the pruned contact is not reported as the JSON tree did: %v", got.Sentence())
	}
	assertSameAsLegacy(t, r, p, legal)
	assertSameAsLegacy(t, r, p, consentBasis(category.Identification))
}

func TestPlansCoverTheRequest(t *testing.T) {
	if errPlans != nil {
		t.Fatalf("the request contract has a type the view cannot read: %v", errPlans)
	}
}

// BenchmarkCheckJSONTree is BenchmarkCheck for the JSON-tree implementation
// Check replaced, for a before/after on the same machine and moment.
func BenchmarkCheckJSONTree(b *testing.B) {
	minimal := fullRequest("iWmo")
	minimal.Purpose, minimal.Client.Relations, minimal.Client.Comment, minimal.Assignment.Products[0].Comment = "assignment_minimal", nil, "", ""
	for _, tc := range []struct {
		name, purpose string
		req           disclosure.Request
	}{
		{"iwmo care full", "care_assignment", fullRequest("iWmo")},
		{"iwmo minimal full (strips)", "assignment_minimal", minimal},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := embeddedProfile(b, "iWmo", tc.purpose)
			basis := Basis{Kind: disclosure.BasisConsent, Covered: category.All(), FreeTextAbout: []string{"client"}}
			if res := legacyCheck(tc.req, p, basis); !res.Allowed {
				b.Fatalf("refused: %v", res.Problems)
			}
			b.ReportAllocs()
			for b.Loop() {
				legacyCheck(tc.req, p, basis)
			}
		})
	}
}
