package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/internal/compose"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

func TestElevenProef(t *testing.T) {
	cases := []struct {
		name string
		bsn  string
		want bool
	}{
		{"official example 999900006", "999900006", true},
		{"official example 999900018", "999900018", true},
		{"check digit off by one", "999900007", false},
		{"eight digits", "99990000", false},
		{"letter", "99990000a", false},
		{"all zeros", "000000000", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := messages.ValidBSN(c.bsn); got != c.want {
				t.Errorf("messages.ValidBSN = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNewGeneratorRejectsBadOptions(t *testing.T) {
	cases := []struct {
		name      string
		providers []string
		basis     string
	}{
		{"no providers", nil, "legal_obligation"},
		{"unknown basis", []string{"42420001"}, "whim"},
		{"safety override is not generated", []string{"42420001"}, "safety_override"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewGenerator(c.providers, c.basis, 1); !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
}

// TestGeneratedRequestsPassTheGateway checks that every generated request
// passes what the gateway does with it: the intake decoder (schema and
// rules), compose, and the official XSD.
func TestGeneratedRequestsPassTheGateway(t *testing.T) {
	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	val, err := xsd.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(val.Close)
	comp := compose.New()
	for _, basis := range []string{disclosure.BasisLegalObligation, disclosure.BasisConsent} {
		t.Run(basis, func(t *testing.T) {
			g, err := NewGenerator([]string{"42420001", "65656055", "12345678"}, basis, 7)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for i := range 300 {
				it, err := g.NextItem()
				if err != nil {
					t.Fatal(err)
				}
				if ids[it.ID] {
					t.Fatalf("request %d: id repeated", i)
				}
				ids[it.ID] = true
				req, err := dec.Decode(it.Body)
				if err != nil {
					t.Fatalf("request %d does not decode: %v", i, err)
				}
				if !messages.ValidBSN(req.Client.BSN) {
					t.Fatalf("request %d: BSN fails the 11-proef", i)
				}
				rec := receipts.Record{DisclosureID: req.ID, Identificatie: fmt.Sprint(i + 1), CreatedAt: time.Now()}
				doc, err := comp.Compose(req, rec)
				if err != nil {
					t.Fatalf("request %d does not compose: %v", i, err)
				}
				if err := val.Validate(doc); err != nil {
					t.Fatalf("request %d: composed Bericht fails the XSD: %v", i, err)
				}
			}
		})
	}
}

func TestGivers(t *testing.T) {
	cases := []struct {
		name string
		age  int
		want []string
	}{
		{"under 12: a parent", 11, []string{"parent_with_authority"}},
		{"12: the parent and the child", 12, []string{"client", "parent_with_authority"}},
		{"15: the parent and the child", 15, []string{"client", "parent_with_authority"}},
		{"16: the client", 16, []string{"client"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Givers(c.age); !slices.Equal(got, c.want) {
				t.Errorf("Givers(%d) = %v, want %v", c.age, got, c.want)
			}
		})
	}
}

func TestAgeOn(t *testing.T) {
	on := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, birth string
		want        int
	}{
		{"birthday today", "2014-11-23", 12},
		{"birthday tomorrow", "2014-11-24", 11},
		{"unparseable", "2014-13-01", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ageOn(c.birth, on); got != c.want {
				t.Errorf("ageOn(%s) = %d, want %d", c.birth, got, c.want)
			}
		})
	}
}

// TestConsentFor checks the consent command against the contract: every
// generated command passes the gateway's own schema file.
func TestConsentFor(t *testing.T) {
	g, err := NewGenerator([]string{"42420001"}, disclosure.BasisConsent, 5)
	if err != nil {
		t.Fatal(err)
	}
	schema := compileConsentSchema(t)
	for i := range 50 {
		req := g.Next()
		c, err := g.ConsentFor(req)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(c.Body))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Fatalf("command %d fails the consent schema: %v", i, err)
		}
		if !bytes.Contains(c.Body, []byte(req.LegalBasis.ConsentIDs[0])) {
			t.Fatalf("command %d does not record the consent the request names", i)
		}
	}
	g2, _ := NewGenerator([]string{"42420001"}, disclosure.BasisLegalObligation, 5)
	if _, err := g2.ConsentFor(g2.Next()); !errors.Is(err, ErrConfig) {
		t.Errorf("legal obligation request: err = %v, want ErrConfig", err)
	}
}

func compileConsentSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(contract.ConsentV1))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("urn:sluis:contract:consent:1", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("urn:sluis:contract:consent:1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
