package loadtest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// ErrConfig is matched by every invalid harness option.
var ErrConfig = errors.New("invalid load test configuration")

// Generator makes realistic, valid 301 disclosure requests: unique UUID ids,
// BSNs that pass the 11-proef, iWmo and iJw, one to three distinct
// products, a contact with address and phone numbers. It is not safe for concurrent use.
type Generator struct {
	providers []string
	basis     string
	rnd       *mrand.Rand
	today     time.Time
	seq       int64
}

// NewGenerator returns a Generator sending to the given providers (AGB
// codes) on the given legal basis ("legal_obligation" or "consent"). The
// seed makes the sequence of requests reproducible apart from their ids.
func NewGenerator(providers []string, basis string, seed uint64) (*Generator, error) {
	if len(providers) == 0 {
		return nil, fmt.Errorf("%w: no providers", ErrConfig)
	}
	switch basis {
	case disclosure.BasisLegalObligation, disclosure.BasisConsent:
	default:
		return nil, fmt.Errorf("%w: basis must be legal_obligation or consent", ErrConfig)
	}
	return &Generator{
		providers: providers,
		basis:     basis,
		rnd:       mrand.New(mrand.NewPCG(seed, seed^0x5eed)),
		today:     time.Now(),
	}, nil
}

var (
	surnames   = []string{"Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks"}
	prefixes   = []string{"", "", "", "de", "van", "van der"}
	givenNames = []string{"Anna", "Daan", "Sophie", "Lucas", "Emma", "Sem", "Julia", "Noah", "Tess", "Milan"}
	streets    = []string{"Kerklaan", "Dorpsstraat", "Stationsweg", "Molenstraat", "Schoolstraat", "Julianastraat"}
	cities     = []string{"Amsterdam", "Rotterdam", "Utrecht", "Arnhem", "Zwolle", "Groningen"}
	wmoProds   = [][2]string{{"01", "01A01"}, {"02", "02A01"}, {"03", "03A02"}, {"04", "04A01"}}
	jwProds    = [][2]string{{"45", "45A01"}, {"43", "43A02"}, {"48", "48A01"}, {"54", "54A03"}}
)

func (g *Generator) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

// BSN returns a synthetic burgerservicenummer in the 99xxxxxxx range that
// passes the 11-proef.
func (g *Generator) BSN() string {
	for {
		d := make([]int, 9)
		d[0], d[1] = 9, 9
		for i := 2; i < 8; i++ {
			d[i] = g.rnd.IntN(10)
		}
		sum := 0
		for i := 0; i < 8; i++ {
			sum += d[i] * (9 - i)
		}
		// sum - d8 ≡ 0 (mod 11)  →  d8 = sum mod 11, which must be a digit.
		last := sum % 11
		if last > 9 {
			continue
		}
		d[8] = last
		b := make([]byte, 9)
		for i, v := range d {
			b[i] = byte('0' + v)
		}
		return string(b)
	}
}

// uuid4 returns a random version-4 UUID.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Next returns the next request.
func (g *Generator) Next() disclosure.Request {
	g.seq++
	std := "iWmo"
	prods := wmoProds
	if g.rnd.IntN(2) == 1 {
		std, prods = "iJw", jwProds
	}
	age := 20 + g.rnd.IntN(60)
	if std == "iJw" {
		age = 1 + g.rnd.IntN(16)
	}
	birth := g.today.AddDate(-age, -g.rnd.IntN(12), -g.rnd.IntN(28))
	hn := 1 + g.rnd.IntN(300)
	contact := disclosure.Contact{
		Kind: "01",
		Address: &disclosure.Address{
			HouseNumber: &hn,
			Postcode:    fmt.Sprintf("%04d%c%c", 1000+g.rnd.IntN(9000), 'A'+rune(g.rnd.IntN(26)), 'A'+rune(g.rnd.IntN(26))),
			Street:      g.pick(streets),
			City:        g.pick(cities),
			Country:     "NL",
		},
		Phones: []disclosure.Phone{{Number: fmt.Sprintf("6%08d", g.rnd.IntN(100000000)), CountryCode: "0031"}},
	}
	if g.rnd.IntN(3) == 0 {
		contact.Phones = append(contact.Phones, disclosure.Phone{Number: fmt.Sprintf("%09d", 100000000+g.rnd.IntN(900000000)), CountryCode: "0031"})
	}
	given := g.pick(givenNames)
	req := disclosure.Request{
		Version:     1,
		ID:          uuid4(),
		Sender:      disclosure.Sender{Municipality: "0363", System: "regsys-demo", Employee: fmt.Sprintf("e-%04x", g.rnd.IntN(1<<16))},
		Recipient:   disclosure.Recipient{AGB: g.pick(g.providers)},
		Standard:    std,
		MessageType: "301",
		Purpose:     "care_assignment",
		Client: disclosure.Client{
			BSN:       g.BSN(),
			BirthDate: birth.Format(time.DateOnly),
			Gender:    []string{"1", "2"}[g.rnd.IntN(2)],
			Name: disclosure.Name{
				Surname:       g.pick(surnames),
				SurnamePrefix: g.pick(prefixes),
				GivenNames:    given,
				Initials:      given[:1],
				NameUsage:     "1",
			},
			Contacts: []disclosure.Contact{contact},
		},
	}
	if std == "iJw" {
		req.Client.LegalStatus = "01"
	}
	switch g.basis {
	case disclosure.BasisConsent:
		req.LegalBasis = disclosure.LegalBasis{Kind: disclosure.BasisConsent, ConsentIDs: []string{fmt.Sprintf("bench-consent-%d", g.seq)}}
	default:
		req.LegalBasis = disclosure.LegalBasis{Kind: disclosure.BasisLegalObligation, DecisionRef: fmt.Sprintf("besluit-bench-%d", g.seq)}
	}
	assigned := g.today.AddDate(0, 0, -g.rnd.IntN(10))
	start := assigned.AddDate(0, 0, 1+g.rnd.IntN(20))
	// Distinct products: one product in overlapping periods is refused by
	// the receiving side (TR302, docs/message-rules.md).
	order := g.rnd.Perm(len(prods))
	n := 1 + g.rnd.IntN(3)
	for i := 0; i < n; i++ {
		pc := prods[order[i]]
		req.Assignment.Products = append(req.Assignment.Products, disclosure.Product{
			Number:     g.seq*10 + int64(i),
			Product:    &disclosure.ProductCode{Category: pc[0], Code: pc[1]},
			AssignedOn: assigned.Format(time.DateOnly),
			AssignedAt: fmt.Sprintf("%02d:%02d:%02d", 8+g.rnd.IntN(9), g.rnd.IntN(60), g.rnd.IntN(60)),
			Start:      start.Format(time.DateOnly),
			End:        start.AddDate(0, 6+g.rnd.IntN(6), -1).Format(time.DateOnly),
			Volume:     &disclosure.Volume{Amount: int64(1 + g.rnd.IntN(20)), Unit: "04", Frequency: "2"},
		})
	}
	return req
}

// consentCommand is a record_consent command (docs/consent-contract.md).
type consentCommand struct {
	Version int               `json:"version"`
	ID      string            `json:"id"`
	Command string            `json:"command"`
	Sender  disclosure.Sender `json:"sender"`
	Client  struct {
		BSN string `json:"bsn"`
	} `json:"client"`
	At      time.Time     `json:"at"`
	Consent consentRecord `json:"consent"`
}

type consentRecord struct {
	ID         string          `json:"id"`
	GivenBy    []string        `json:"given_by"`
	Recipient  string          `json:"recipient"`
	Purpose    string          `json:"purpose"`
	Categories []string        `json:"categories"`
	Scope      map[string]bool `json:"scope"`
}

// ageOn is the age in whole years on day on of someone born on birth
// (YYYY-MM-DD); -1 when birth does not parse.
func ageOn(birth string, on time.Time) int {
	b, err := time.Parse(time.DateOnly, birth)
	if err != nil {
		return -1
	}
	age := on.Year() - b.Year()
	if on.Month() < b.Month() || (on.Month() == b.Month() && on.Day() < b.Day()) {
		age--
	}
	return age
}

// Givers is who must consent for a client of this age (privacy statement:
// under 12 a parent with authority; 12 to 15 the parent and the child; from
// 16 the client).
func Givers(age int) []string {
	switch {
	case age < 12:
		return []string{"parent_with_authority"}
	case age < 16:
		return []string{"client", "parent_with_authority"}
	default:
		return []string{"client"}
	}
}

// ConsentFor returns the record_consent command that covers req (basis
// consent): a single-share consent for its recipient and purpose, given by
// whoever must consent at the client's age, for the data categories the
// request carries. The request must name exactly one consent id.
func (g *Generator) ConsentFor(req disclosure.Request) (Item, error) {
	if req.LegalBasis.Kind != disclosure.BasisConsent || len(req.LegalBasis.ConsentIDs) != 1 {
		return Item{}, fmt.Errorf("%w: request is not on the basis of one consent", ErrConfig)
	}
	c := consentCommand{Version: 1, ID: uuid4(), Command: "record_consent", Sender: req.Sender, At: g.today.Add(-time.Hour).UTC().Truncate(time.Second)}
	c.Client.BSN = req.Client.BSN
	cats := []string{"identification", "contact", "care_assignment"}
	if req.Client.LegalStatus != "" {
		cats = append(cats, "legal_status")
	}
	c.Consent = consentRecord{
		ID:         req.LegalBasis.ConsentIDs[0],
		GivenBy:    Givers(ageOn(req.Client.BirthDate, g.today)),
		Recipient:  req.Recipient.AGB,
		Purpose:    req.Purpose,
		Categories: cats,
		Scope:      map[string]bool{"single_share": true},
	}
	b, err := json.Marshal(c)
	if err != nil {
		return Item{}, fmt.Errorf("consent command: %w", err)
	}
	return Item{ID: c.ID, Body: b}, nil
}

// NextItem returns the next request as JSON with its id.
func (g *Generator) NextItem() (Item, error) {
	req := g.Next()
	b, err := json.Marshal(req)
	if err != nil {
		return Item{}, fmt.Errorf("request: %w", err)
	}
	return Item{ID: req.ID, Body: b}, nil
}
