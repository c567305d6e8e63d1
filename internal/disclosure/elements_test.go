package disclosure_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/signing"
)

// composeBericht builds the real Bericht for r, as the pipeline does.
func composeBericht(t *testing.T, r disclosure.Request) ([]byte, error) {
	t.Helper()
	rec := receipts.Record{Identificatie: "4711", CreatedAt: time.Now().Add(-24 * time.Hour)}
	return compose.New().Compose(r, rec)
}

func countElements(t *testing.T, doc []byte) int {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	var n func(*etree.Element) int
	n = func(e *etree.Element) int {
		c := 1
		for _, ch := range e.ChildElements() {
			c += n(ch)
		}
		return c
	}
	return n(d.Root())
}

func decodeExample(t *testing.T, d *disclosure.Decoder, name string) disclosure.Request {
	t.Helper()
	b, err := os.ReadFile("../../docs/contract/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// thin drops optional parts of a full request at random, so the bound is
// held against many shapes. Requests the technical rules then refuse are
// skipped by the caller.
func thin(rnd *rand.Rand, r disclosure.Request) disclosure.Request {
	drop := func() bool { return rnd.IntN(3) == 0 }
	name := func(n *disclosure.Name) {
		if drop() {
			n.SurnamePrefix = ""
		}
		if drop() {
			n.GivenNames = ""
		}
		if drop() {
			n.Initials = ""
		}
		if drop() {
			n.PartnerSurname, n.PartnerSurnamePrefix, n.NameUsage = "", "", "1"
		}
	}
	contact := func(c *disclosure.Contact) {
		if drop() {
			c.Organisation = ""
		}
		if drop() {
			c.Email = ""
		}
		if drop() {
			c.Phones = c.Phones[:1]
		}
		if drop() {
			c.Phones = nil
		}
		if c.Period != nil && drop() {
			c.Period.End = ""
		}
		if drop() {
			a := *c.Address
			a.HouseLetter, a.HouseNumberAddition, a.ResidenceIndication = "", "", ""
			c.Address = &a
		}
	}
	c := &r.Client
	name(&c.Name)
	if drop() {
		c.Communication = nil
	}
	if drop() {
		c.Comment, c.LegalStatus, c.Representation, c.BirthDateUsage = "", "", "", ""
	}
	rels := append([]disclosure.Relation(nil), c.Relations...)
	for i := range rels {
		name(&rels[i].Name)
		contact(&rels[i].Contact)
		if drop() {
			rels[i].Order, rels[i].BirthDate, rels[i].Gender = nil, "", ""
		}
	}
	c.Relations = rels
	cts := append([]disclosure.Contact(nil), c.Contacts...)
	for i := range cts {
		contact(&cts[i])
	}
	c.Contacts = cts
	ps := append([]disclosure.Product(nil), r.Assignment.Products...)
	for i := range ps {
		if drop() {
			ps[i].ProviderReference, ps[i].ChangeReason, ps[i].Comment = "", "", ""
		}
		if drop() {
			b := int64(1000)
			ps[i].Volume, ps[i].Budget = nil, &b
			ps[i].Product = &disclosure.ProductCode{Category: ps[i].Product.Category} // CD041: no Code without Omvang
		}
	}
	r.Assignment.Products = ps
	return r
}

// The bound must never be below the element count of the Bericht the
// composer really builds, whatever the request's shape.
func TestBerichtElementsBoundsComposer(t *testing.T) {
	d := decoder(t)
	type shape struct {
		name string
		req  disclosure.Request
	}
	var shapes []shape
	for _, ex := range []string{"iwmo-301.json", "ijw-301.json", "iwmo-319.json", "ijw-319.json"} {
		shapes = append(shapes, shape{"example " + ex, decodeExample(t, d, ex)})
	}
	for _, std := range []string{"iWmo", "iJw"} {
		for _, n := range [][3]int{{1, 0, 1}, {1, 1, 1}, {3, 2, 2}, {9, 5, 4}} {
			shapes = append(shapes, shape{fmt.Sprintf("%s full %v", std, n), fullRequest(t, std, n[0], n[1], n[2], false)})
		}
		rnd := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 60; i++ {
			shapes = append(shapes, shape{fmt.Sprintf("%s thinned %d", std, i), thin(rnd, fullRequest(t, std, 1+rnd.IntN(4), rnd.IntN(4), 1+rnd.IntN(4), false))})
		}
	}
	built, exact := 0, 0
	for _, s := range shapes {
		doc, err := composeBericht(t, s.req)
		if err != nil {
			if strings.HasPrefix(s.name, "example") {
				t.Fatalf("%s: %v", s.name, err)
			}
			continue // a shape the technical rules refuse
		}
		built++
		real, bound := countElements(t, doc), disclosure.BerichtElements(s.req)
		if bound < real {
			t.Errorf("%s: bound %d below the real %d elements", s.name, bound, real)
		}
		if bound == real {
			exact++
		}
	}
	if built < 60 {
		t.Fatalf("only %d shapes built; the test needs more that the rules accept", built)
	}
	t.Logf("%d shapes built, bound exact for %d", built, exact)
}

// The largest full-detail request the intake accepts is sealed and opened
// by the real signing code; one element more is refused at intake naming the
// limit; so is the contract's maximum (50 products, 20 relations, 4
// contacts in full detail).
func TestElementLimitAtIntake(t *testing.T) {
	d := decoder(t)
	dir := t.TempDir()
	keyFile, certFile, err := signing.GenerateDevelopment(dir, "sluis test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.LoadSigner(keyFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signing.LoadVerifier(filepath.Join(dir, filepath.Base(certFile)))
	if err != nil {
		t.Fatal(err)
	}
	for _, std := range []string{"iWmo", "iJw"} {
		t.Run(std, func(t *testing.T) {
			// Most products that still fit with 19 full relations and 4
			// full contacts.
			products := 0
			for disclosure.BerichtElements(fullRequest(t, std, products+1, 19, 4, true)) <= disclosure.MaxBerichtElements {
				products++
			}
			if products == 0 {
				t.Fatal("no product fits beside 19 relations and 4 contacts")
			}
			fits := fullRequest(t, std, products, 19, 4, true)
			r, err := d.Decode(marshal(t, fits))
			if err != nil {
				t.Fatalf("request at the limit (%d elements) refused: %v", disclosure.BerichtElements(fits), err)
			}
			doc, err := composeBericht(t, r)
			if err != nil {
				t.Fatal(err)
			}
			kind := map[string]string{"iWmo": "WMO301", "iJw": "JW301"}[std]
			signed, err := signer.Seal(signing.Meta{MessageID: r.ID, Standard: std, MessageType: kind,
				Sender: r.Sender.Municipality, Recipient: r.Recipient.AGB, Created: time.Now()}, doc)
			if err != nil {
				t.Fatalf("seal %d elements: %v", countElements(t, doc), err)
			}
			if _, err := verifier.Open(signed); err != nil {
				t.Fatalf("open %d elements: %v", countElements(t, doc), err)
			}
			for name, req := range map[string]disclosure.Request{
				"one product more":  fullRequest(t, std, products+1, 19, 4, true),
				"contract maximum":  fullRequest(t, std, 50, 20, 4, false),
				"20 relations only": fullRequest(t, std, 1, 20, 4, false),
			} {
				_, err := d.Decode(marshal(t, req))
				var inv *disclosure.InvalidError
				if !errors.As(err, &inv) || len(inv.Problems) != 1 || inv.Problems[0].Rule != disclosure.RuleElements {
					t.Fatalf("%s: want one %s problem, got %v", name, disclosure.RuleElements, err)
				}
				if !strings.Contains(inv.Problems[0].Message, fmt.Sprint(disclosure.MaxBerichtElements)) {
					t.Errorf("%s: problem does not name the limit: %s", name, inv.Problems[0].Message)
				}
			}
		})
	}
}
