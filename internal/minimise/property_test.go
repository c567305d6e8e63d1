package minimise

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// The property: for any disclosure, when Check allows it, every element of
// the Bericht composed from the checked copy (and sealed, and opened again)
// comes from a request field that the profile lets through (required or
// allowed) and whose category the basis covers. The element → field mapping
// is the package's own table (Field.Elements, FieldForElement).

var (
	fixedCreated = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	buildToday   = messages.Date{Year: 2026, Month: time.November, Day: 23}
)

// genRequest makes a random 301 request that composes into a valid Bericht
// when nothing is stripped: random subsets of the optional fields, random
// relations, contacts, products and free text (clean and dirty).
func genRequest(rng *rand.Rand) disclosure.Request {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	maybe := func() bool { return rng.IntN(2) == 0 }
	std := pick("iWmo", "iJw")
	r := baseRequest(std, pick("care_assignment", "assignment_minimal"))
	c := &r.Client
	c.BSN = pick("999900006", "999900018", "123456782")
	c.BirthDateUsage = pick("", "", "1", "2")
	month, day := 1+rng.IntN(12), 1+rng.IntN(28)
	switch c.BirthDateUsage { // CS139: the unknown parts are 01
	case "1":
		day = 1
	case "2":
		month, day = 1, 1
	}
	c.BirthDate = fmt.Sprintf("%04d-%02d-%02d", 1940+rng.IntN(85), month, day)
	c.Gender = pick("0", "1", "2")
	c.Name = genName(rng, pick("Wit", "Bakker", "Öztürk", "Jansen"))
	if maybe() {
		c.Communication = pick2(rng, &disclosure.Communication{Form: "1", Language: "ar"}, &disclosure.Communication{Form: "2"})
	}
	if maybe() {
		c.LegalStatus = pick("01", "04", "11")
	}
	if maybe() {
		c.Representation = pick("06", "07")
	}
	if rng.IntN(4) == 0 {
		c.Comment = genText(rng, r)
	}
	for i := range max(0, rng.IntN(4)-1) {
		rel := relation(pick("Bakker", "Smit", "Visser", c.Name.Surname), pick("", "Joost", "Anna Maria"), pick("", "1960-01-02", c.BirthDate))
		rel.Number = fmt.Sprintf("R%d", i+1)
		rel.Kind = pick("10", "11", "12", "17", "21")
		rel.Name = genName(rng, rel.Name.Surname)
		if maybe() {
			rel.Gender = pick("1", "2")
		}
		if maybe() {
			rel.Order = intp(i + 1)
		}
		if maybe() {
			rel.Contact.Phones = nil
		}
		if maybe() {
			rel.Contact.Email = "rel@example.org"
		}
		if rng.IntN(10) == 0 {
			rel.Contact.Address = nil // OP130 unless a phone is left
		}
		c.Relations = append(c.Relations, rel)
	}
	c.Contacts = nil
	for i := range 1 + rng.IntN(2) {
		k := disclosure.Contact{
			Kind:    pick("01", "02", "04"),
			Address: &disclosure.Address{HouseNumber: intp(1 + rng.IntN(200)), Postcode: "9999XX", Street: "Kerklaan", City: "Amsterdam", Country: "NL"},
		}
		if i == 0 {
			k.Kind = pick("01", "02", "03") // TR061: one of Soort 01-03
		}
		if maybe() {
			k.Address.HouseLetter = "a"
		}
		phoneOnly := rng.IntN(5) == 0 // TR006 by its phone alone: assignment_minimal drops it
		if phoneOnly {
			k.Address = nil
		}
		if k.Kind == "04" {
			k.Period = &disclosure.Period{Start: "2026-11-01"}
			if maybe() {
				k.Period.End = "2027-01-31"
			}
		}
		if phoneOnly || maybe() {
			for range 1 + rng.IntN(2) {
				k.Phones = append(k.Phones, disclosure.Phone{Number: pick("0612345678", "0201234567"), CountryCode: "0031"})
			}
		}
		if maybe() {
			k.Email = fmt.Sprintf("c%d@example.org", i)
		}
		if maybe() {
			k.Organisation = "Woonzorg"
		}
		c.Contacts = append(c.Contacts, k)
	}
	cat, code := "01", "01A01"
	if std == "iJw" {
		cat, code = "45", "45A01"
	}
	r.Assignment.Products = nil
	for i := range 1 + rng.IntN(2) {
		// TR302: one product in consecutive, not overlapping, periods.
		p := disclosure.Product{
			Number: int64(100 + i), AssignedOn: "2026-11-20", AssignedAt: "12:00:00",
			Start: []string{"2026-12-01", "2027-06-01"}[i], End: []string{"2027-05-31", "2027-11-30"}[i],
		}
		if maybe() {
			p.Product = &disclosure.ProductCode{Category: cat, Code: code}
			p.Volume = &disclosure.Volume{Amount: int64(1 + rng.IntN(20)), Unit: "04", Frequency: "2"}
		} else {
			p.Product = &disclosure.ProductCode{Category: cat}
			p.Budget = int64p(int64(rng.IntN(1_000_000)))
		}
		if maybe() {
			p.ProviderReference = "VOT-17"
		}
		if maybe() {
			p.ChangeReason = "14"
		}
		if rng.IntN(4) == 0 {
			p.Comment = genText(rng, r)
		}
		r.Assignment.Products = append(r.Assignment.Products, p)
	}
	return r
}

func pick2[T any](rng *rand.Rand, a, b T) T {
	if rng.IntN(2) == 0 {
		return a
	}
	return b
}

func genName(rng *rand.Rand, surname string) disclosure.Name {
	n := disclosure.Name{Surname: surname, NameUsage: "1"}
	if rng.IntN(2) == 0 {
		n.SurnamePrefix = "van"
	}
	if rng.IntN(2) == 0 {
		n.GivenNames = []string{"Tessa", "Chloé", "Mohammed Ali"}[rng.IntN(3)]
	}
	if rng.IntN(2) == 0 {
		n.Initials = "TM"
	}
	if rng.IntN(3) == 0 {
		n.PartnerSurname = "Dekker"
		n.NameUsage = []string{"1", "2", "3", "4"}[rng.IntN(4)]
	}
	return n
}

func genText(rng *rand.Rand, r disclosure.Request) string {
	texts := []string{
		"Graag starten in de eerste week van december.",
		"Begeleiding gericht op dagritme, 2 uur per week.",
		"Hulp bij het huishouden, voorkeur voor vaste hulp.",
		"Toewijzing volgt op het keukentafelgesprek van 12 november.",
		"Afspraak op 01-12-2026 10 uur bij het wijkteam.",
		"Bellen naar 06-12345678.",
		"BSN 1234 56 782 staat verkeerd in het dossier.",
		"Mail: hulp@example.org",
		"Adres 9999XX 12.",
		"Overleg met " + r.Client.Name.Surname + " gevoerd.",
		"Geboren " + r.Client.BirthDate + ".",
		strings.Repeat("lang ", 250),
	}
	return texts[rng.IntN(len(texts))]
}

func genBasis(rng *rand.Rand) Basis {
	if rng.IntN(3) == 0 {
		return Basis{Kind: disclosure.BasisLegalObligation}
	}
	var cs []category.Category
	for _, c := range category.All() {
		if rng.IntN(12) != 0 { // most categories, so a fair share is allowed
			cs = append(cs, c)
		}
	}
	b := Basis{Kind: disclosure.BasisConsent, Covered: cs}
	if cs == nil {
		b.Covered = []category.Category{}
	}
	if slices.Contains(cs, category.FreeText) && rng.IntN(2) == 0 {
		b.FreeTextAbout = []string{"client"}
	}
	return b
}

// berichtChecker composes, seals, opens, validates and inspects.
type berichtChecker struct {
	signer   *signing.Signer
	verifier *signing.Verifier
	xsd      *xsd.Validator
}

func newBerichtChecker(t testing.TB) *berichtChecker {
	t.Helper()
	keys := testenv.NewKeyPair(t, "sluis minimise test")
	s := keys.Signer
	v, err := signing.LoadVerifier(filepath.Clean(keys.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	x, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	return &berichtChecker{signer: s, verifier: v, xsd: x}
}

// assertProperty checks one request. It returns whether Check allowed it.
func (bc *berichtChecker) assertProperty(t testing.TB, ps *Profiles, req disclosure.Request, b Basis) bool {
	t.Helper()
	p, err := ps.For(req.Standard, req.MessageType, req.Purpose)
	if err != nil {
		t.Fatal(err)
	}
	res := Check(req, p, b)
	if !res.Allowed {
		if len(res.Problems) == 0 {
			t.Fatalf("refused without a problem")
		}
		return false
	}
	if len(res.Problems) != 0 {
		t.Fatalf("allowed with problems %v", res.Problems)
	}
	rec := receipts.Record{Identificatie: "1", CreatedAt: fixedCreated}
	m, err := compose.Toewijzing(res.Request, rec)
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	doc, err := messages.Build(m, messages.BuildOptions{Today: buildToday})
	if err != nil {
		t.Fatalf("build the checked request (%s, stripped %v): %v", p.Key(), res.Stripped, err)
	}
	if err := bc.xsd.Validate(doc); err != nil {
		t.Fatalf("official XSD: %v", err)
	}
	kind := "WMO301"
	if req.Standard == "iJw" {
		kind = "JW301"
	}
	sealed, err := bc.signer.Seal(signing.Meta{
		MessageID: "m-1", Standard: req.Standard, MessageType: kind,
		Sender: req.Sender.Municipality, Recipient: req.Recipient.AGB, Created: fixedCreated,
	}, doc)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	opened, err := bc.verifier.Open(sealed)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	x := etree.NewDocument()
	if err := x.ReadFromBytes(opened.Bericht); err != nil {
		t.Fatalf("parse the signed Bericht: %v", err)
	}
	client := x.Root().SelectElement("Client")
	if client == nil {
		t.Fatalf("no Client in the Bericht")
	}
	for _, el := range leafElements(client, "Client") {
		f, ok := FieldForElement(el)
		if !ok {
			t.Errorf("%s: element %s maps to no request field", p.Key(), el)
			continue
		}
		if u := p.useOf(f.Path); u != UseRequired && u != UseAllowed {
			t.Errorf("%s: element %s comes from %s, which the profile makes %s", p.Key(), el, f.Path, u)
		}
		if b.Covered != nil && !slices.Contains(b.Covered, f.Category) {
			t.Errorf("%s: element %s is category %s, not covered by %v", p.Key(), el, f.Category, b.Covered)
		}
	}
	// Free text that went out carries none of what the screening looks for.
	about := map[string]bool{}
	for _, a := range b.FreeTextAbout {
		about[a] = true
	}
	for _, c := range x.FindElements("//Commentaar") {
		if hits := scanFreeText(c.Text(), personsOf(req), about); len(hits) > 0 {
			t.Errorf("%s: a Commentaar went out with %v", p.Key(), hits)
		}
		if n := utf8.RuneCountInString(c.Text()); n > MaxFreeText {
			t.Errorf("a Commentaar of %d characters went out", n)
		}
	}
	return true
}

// leafElements returns the paths (local names, no index) of the elements
// under el that carry text.
func leafElements(el *etree.Element, path string) []string {
	var out []string
	kids := el.ChildElements()
	if len(kids) == 0 {
		if strings.TrimSpace(el.Text()) != "" {
			out = append(out, path)
		}
		return out
	}
	for _, k := range kids {
		out = append(out, leafElements(k, path+"/"+k.Tag)...)
	}
	return out
}

func TestPropertyBerichtCarriesOnlyAllowedData(t *testing.T) {
	ps, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	bc := newBerichtChecker(t)
	n := 1000
	if testing.Short() {
		n = 200
	}
	rng := rand.New(rand.NewPCG(20261123, 7))
	allowed, stripped := 0, 0
	codes := map[string]int{}
	for i := range n {
		req, b := genRequest(rng), genBasis(rng)
		ok := false
		t.Run(fmt.Sprintf("case %d", i), func(t *testing.T) { ok = bc.assertProperty(t, ps, req, b) })
		if !ok {
			for _, c := range Check(req, mustFor(t, ps, req), b).Codes() {
				codes[c]++
			}
		}
		if ok {
			allowed++
			if len(Check(req, mustFor(t, ps, req), b).Stripped) > 0 {
				stripped++
			}
		}
	}
	t.Logf("%d of %d random disclosures allowed, %d of them with stripped fields; refusal codes %v", allowed, n, stripped, codes)
	if allowed < n/10 || stripped == 0 {
		t.Errorf("the generator is too narrow: %d allowed, %d stripped", allowed, stripped)
	}
}

func mustFor(t testing.TB, ps *Profiles, r disclosure.Request) Profile {
	t.Helper()
	p, err := ps.For(r.Standard, r.MessageType, r.Purpose)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzMinimise drives the generator with a fuzzed seed and puts fuzzed
// text into the comments. It also holds Check to the JSON-tree
// implementation it replaced (assertSameAsLegacy).
func FuzzMinimise(f *testing.F) {
	for _, s := range []string{"", "Graag starten.", "06-12345678", "1234 56 782", "a@b.nl", "9999 XX 12", "Wit", "2014-02-14"} {
		f.Add(uint64(len(s)), s)
	}
	ps, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	bc := newBerichtChecker(f)
	f.Fuzz(func(t *testing.T, seed uint64, text string) {
		rng := rand.New(rand.NewPCG(seed, 1))
		req, b := genRequest(rng), genBasis(rng)
		text = xmlSafe(text)
		if strings.TrimSpace(text) != "" {
			req.Client.Comment = text
			req.Assignment.Products[0].Comment = text
		}
		assertSameAsLegacy(t, req, mustFor(t, ps, req), b)
		bc.assertProperty(t, ps, req, b)
	})
}

// xmlSafe keeps printable text (the contract's free text is a JSON string;
// control characters cannot travel in XML 1.0).
func xmlSafe(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) || r == ' ' {
			return r
		}
		return -1
	}, s)
}

func BenchmarkCheck(b *testing.B) {
	for _, tc := range []struct {
		name, std, purpose string
		req                disclosure.Request
	}{
		{"iwmo care full", "iWmo", "care_assignment", fullRequest("iWmo")},
		{"iwmo minimal full (strips)", "iWmo", "assignment_minimal", func() disclosure.Request {
			r := fullRequest("iWmo")
			r.Purpose, r.Client.Relations, r.Client.Comment, r.Assignment.Products[0].Comment = "assignment_minimal", nil, "", ""
			return r
		}()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := embeddedProfile(b, tc.std, tc.purpose)
			basis := Basis{Kind: disclosure.BasisConsent, Covered: category.All(), FreeTextAbout: []string{"client"}}
			if res := Check(tc.req, p, basis); !res.Allowed {
				b.Fatalf("refused: %v", res.Problems)
			}
			b.ReportAllocs()
			for b.Loop() {
				Check(tc.req, p, basis)
			}
		})
	}
}
