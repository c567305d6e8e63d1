package minimise

import (
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/messages"
)

func TestScanFreeText(t *testing.T) {
	req := baseRequest("iWmo", "care_assignment")
	req.Client.Name.GivenNames = "Anne-Marie"
	req.Client.Relations = []disclosure.Relation{relation("Öztürk", "Mehmet", "1958-07-09")}
	people := personsOf(req)
	tests := []struct {
		name  string
		text  string
		about []string
		want  []string
	}{
		{"plain care text", "Twee dagdelen dagbesteding per week, vervoer regelen.", nil, nil},
		{"BSN with dots", "bsn 1234.56.782", nil, []string{CodeFreeTextBSN}},
		{"BSN glued to letters", "nr123456782x", nil, []string{CodeFreeTextBSN}},
		{"ten digits are no BSN", "referentie 1234567820", nil, nil},
		{"two BSNs side by side", "123456789 123456782", nil, []string{CodeFreeTextBSN}},
		{"mobile without separators", "0612345678", nil, []string{CodeFreeTextPhone}},
		{"landline with spaces", "bel 010 - 123 4567", nil, []string{CodeFreeTextPhone}},
		{"international with (0)", "+31 (0)20 765 4321", nil, []string{CodeFreeTextPhone}},
		{"0031 prefix", "0031 6 12345678", nil, []string{CodeFreeTextPhone}},
		{"date and time are no phone", "op 01-12-2026 10:30 uur", nil, nil},
		{"amount is no phone", "budget € 1.250,00 per maand", nil, nil},
		{"e-mail", "a.b-c@sub.example.co.uk", nil, []string{CodeFreeTextEmail}},
		{"at sign alone", "afspraak @ wijkteam", nil, nil},
		{"postcode lowercase with number", "9999xx 7", nil, []string{CodeFreeTextPostcode}},
		{"house number with letter before postcode", "Dorpsstraat 3a, 9999 XY Arnhem", nil, []string{CodeFreeTextPostcode}},
		{"huisnummer word after postcode", "postcode 9999XY huisnummer 3", nil, []string{CodeFreeTextPostcode}},
		{"year and word are no postcode", "in 2026 is 10 uur genoeg", nil, nil},
		{"hyphenated given name part", "anne helpt", nil, []string{CodeFreeTextName}},
		{"relation surname with umlaut folded", "meneer ozturk belt", nil, []string{CodeFreeTextName}},
		{"relation name covered", "Mehmet belt", []string{"relation 1"}, nil},
		{"client covered, relation not", "Anne en Mehmet", []string{"client"}, []string{CodeFreeTextName}},
		{"name inside another word is no name", "witte was", nil, nil},
		{"client birth date in Dutch order", "geboren 13-08-1967", nil, []string{CodeFreeTextBirthDate}},
		{"relation birth date with slashes", "9/7/1958", nil, []string{CodeFreeTextBirthDate}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			about := map[string]bool{}
			for _, a := range tc.about {
				about[a] = true
			}
			var got []string
			for _, h := range scanFreeText(tc.text, people, about) {
				got = append(got, h.code)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("scanFreeText(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestElfProef(t *testing.T) {
	for d, want := range map[string]bool{
		"123456782": true, "999900006": true, "999900018": true,
		"123456789": false, "000000000": false, "12345678": false,
	} {
		if got := messages.ValidBSN(d); got != want {
			t.Errorf("messages.ValidBSN(%s) = %v", d, got)
		}
	}
}

func TestBasisOf(t *testing.T) {
	on := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	reg := consent.Register{Consents: []consent.Consent{
		{ID: "c1", ClientKey: "k", Categories: []category.Category{category.Identification, category.CareAssignment}},
		{ID: "c2", ClientKey: "k", Categories: []category.Category{category.Contact, category.FreeText}},
		{ID: "c3", ClientKey: "other", Categories: []category.Category{category.Relations}},
	}}
	req := func(kind string, ids ...string) disclosure.Request {
		r := baseRequest("iWmo", "care_assignment")
		r.LegalBasis = disclosure.LegalBasis{Kind: kind, ConsentIDs: ids}
		return r
	}
	tests := []struct {
		name      string
		r         disclosure.Request
		covered   []category.Category
		nilCover  bool
		aboutText []string
	}{
		{name: "two consents together", r: req(disclosure.BasisConsent, "c1", "c2"),
			covered:   []category.Category{category.CareAssignment, category.Contact, category.FreeText, category.Identification},
			aboutText: []string{"client"}},
		{name: "another client's consent adds nothing", r: req(disclosure.BasisConsent, "c1", "c3"),
			covered: []category.Category{category.CareAssignment, category.Identification}},
		{name: "unknown consent covers nothing", r: req(disclosure.BasisConsent, "nope"), covered: []category.Category{}},
		{name: "legal obligation is not category-limited", r: req(disclosure.BasisLegalObligation), nilCover: true},
		{name: "safety override is not category-limited", r: req(disclosure.BasisSafetyOverride), nilCover: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := BasisOf(tc.r, reg, "k", on)
			if tc.nilCover != (b.Covered == nil) {
				t.Fatalf("Covered = %v, nil wanted: %v", b.Covered, tc.nilCover)
			}
			if !tc.nilCover && !slices.Equal(b.Covered, tc.covered) {
				t.Errorf("Covered = %v, want %v", b.Covered, tc.covered)
			}
			if !slices.Equal(b.FreeTextAbout, tc.aboutText) {
				t.Errorf("FreeTextAbout = %v, want %v", b.FreeTextAbout, tc.aboutText)
			}
			if !b.On.Equal(on) || b.Kind != tc.r.LegalBasis.Kind {
				t.Errorf("On/Kind not carried: %+v", b)
			}
		})
	}
}
