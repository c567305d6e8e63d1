package disclosure

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/internal/jsoncheck"
	"github.com/sluis-gateway/sluis/messages"
)

// MaxRequestBytes bounds a request body. A 301 with 50 products and 20
// relations fits in well under this.
const MaxRequestBytes = 256 << 10

// RuleSize names the refusal of a request larger than MaxRequestBytes.
const RuleSize = "size"

// ErrInvalid is matched (errors.Is) by every *InvalidError.
var ErrInvalid = errors.New("invalid disclosure request")

// Problem is one thing wrong with a request, by JSON path and rule.
type Problem = jsoncheck.Problem

// InvalidError lists the problems of a request, sorted by path. Its text is
// safe to return to the sender and to log: it never holds field values.
type InvalidError = jsoncheck.InvalidError[request]

// request is the Kind of a disclosure request's InvalidError.
type request struct{}

func (request) Err() error { return ErrInvalid }

// Decoder validates and decodes requests. It is safe for concurrent use.
type Decoder struct {
	schema *jsoncheck.Schema
	now    func() time.Time
}

// NewDecoder compiles the embedded contract schema.
func NewDecoder(opts ...Option) (*Decoder, error) {
	s, err := jsoncheck.Compile("urn:sluis:contract:disclosure:1", contract.DisclosureV1)
	if err != nil {
		return nil, err
	}
	d := &Decoder{schema: s, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	if d.now == nil {
		return nil, errors.New("disclosure decoder: nil clock")
	}
	return d, nil
}

// Decode checks a request against the contract and decodes it: size,
// characters (on the raw text), JSON syntax, JSON Schema (code lists,
// patterns and lengths as the official XSD has them), BSN 11-proef, the
// receiving side's technical rules the request alone decides (CS139, TR002,
// TR134, TR101, TR302, TR378; dates against the day of intake in
// Europe/Amsterdam), and the element count the signature can carry; the
// order and rules are those of docs/disclosure-contract.md. Any failure is an *InvalidError.
func (d *Decoder) Decode(data []byte) (Request, error) {
	if len(data) > MaxRequestBytes {
		return Request{}, invalid(Problem{Rule: RuleSize, Message: fmt.Sprintf("request larger than %d bytes", MaxRequestBytes)})
	}
	// Before anything unmarshals the text: encoding/json would replace bad
	// characters with U+FFFD and the schema would see only the replacement.
	if ps := charProblems(data); len(ps) > 0 {
		return Request{}, invalid(ps...)
	}
	if ps := d.schema.Check(data); len(ps) > 0 {
		return Request{}, invalid(ps...)
	}
	var r Request
	if err := jsoncheck.Decode(data, &r); err != nil {
		// The schema passed, so this is a mismatch between schema and types.
		return Request{}, invalid(Problem{Rule: "json", Message: "does not decode into the contract types"})
	}
	ps := check(r)
	ps = append(ps, receiverProblems(r, d.intakeDay())...)
	if ps = append(ps, elementProblems(r)...); len(ps) > 0 {
		return Request{}, invalid(ps...)
	}
	return r, nil
}

// check holds the rules JSON Schema cannot express. The BSN is checked
// whenever the request carries a client (a 301 must, a 319 cannot: the
// schema sees to that).
func check(r Request) []Problem {
	var ps []Problem
	if !r.Client.IsZero() && !messages.ValidBSN(r.Client.BSN) {
		ps = append(ps, Problem{Path: "/client/bsn", Rule: "CS002", Message: "BSN fails the 11-proef (CS002)"})
	}
	if d := r.Declaration; d != nil {
		ps = append(ps, checkDeclaration(messages.Standard(r.Standard), d)...)
	}
	return ps
}

// checkDeclaration: the 325's rules on the answer as a whole (TR342 with
// no rejected prestaties, CS325, the retour code list WJ001).
func checkDeclaration(std messages.Standard, d *Declaration) []Problem {
	var ps []Problem
	code := messages.RetourCode(d.RetourCode)
	if _, ok := code.Meaning(std); !ok || code == messages.RetourGeenOpmerking || code == messages.RetourNietBeoordeeld {
		ps = append(ps, Problem{Path: "/declaration/retour_code", Rule: "WJ001", Message: "not a retour code of the standard other than 0200 and 0233"})
	}
	granted := d.Granted == d.Claimed
	rejected := d.Granted == Amount{Cents: 0, DebitCredit: "D"}
	switch {
	case !granted && !rejected:
		ps = append(ps, Problem{Path: "/declaration/granted", Rule: "TR342", Message: "must equal claimed (granted as a whole) or be 0 D (rejected as a whole)"})
	case granted && code != "8001":
		ps = append(ps, Problem{Path: "/declaration/retour_code", Rule: "TR342", Message: "8001 when the whole declaration is granted"})
	case rejected && !granted && code == "8001":
		ps = append(ps, Problem{Path: "/declaration/retour_code", Rule: "TR342", Message: "not 8001 when the declaration is rejected"})
	}
	for path, a := range map[string]Amount{"/declaration/claimed": d.Claimed, "/declaration/granted": d.Granted} {
		if a.Cents == 0 && a.DebitCredit != "D" {
			ps = append(ps, Problem{Path: path + "/debit_credit", Rule: "CS325", Message: "D when the amount is 0"})
		}
	}
	return ps
}

func invalid(ps ...Problem) *InvalidError {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return &InvalidError{Problems: ps}
}

// Hash is a SHA-256 over the decoded request in a canonical form, so a retry
// with different whitespace or key order is recognised as the same request.
func Hash(r Request) string {
	b, _ := json.Marshal(r) // a struct of strings, ints and slices always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
