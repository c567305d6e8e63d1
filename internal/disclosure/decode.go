package disclosure

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/internal/jsoncheck"
	"github.com/sluis-gateway/sluis/messages"
)

// MaxRequestBytes bounds a request body. A 301 with 50 products and 20
// relations fits in well under this.
const MaxRequestBytes = 256 << 10

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
}

// NewDecoder compiles the embedded contract schema.
func NewDecoder() (*Decoder, error) {
	s, err := jsoncheck.Compile("urn:sluis:contract:disclosure:1", contract.DisclosureV1)
	if err != nil {
		return nil, err
	}
	return &Decoder{schema: s}, nil
}

// Decode checks a request against the contract (JSON syntax, JSON Schema,
// BSN 11-proef and the other checks schema cannot express) and decodes it.
// Any failure is an *InvalidError.
func (d *Decoder) Decode(data []byte) (Request, error) {
	if len(data) > MaxRequestBytes {
		return Request{}, invalid(Problem{Rule: "size", Message: fmt.Sprintf("request larger than %d bytes", MaxRequestBytes)})
	}
	if ps := d.schema.Check(data); len(ps) > 0 {
		return Request{}, invalid(ps...)
	}
	var r Request
	if err := jsoncheck.Decode(data, &r); err != nil {
		// The schema passed, so this is a mismatch between schema and types.
		return Request{}, invalid(Problem{Rule: "json", Message: "does not decode into the contract types"})
	}
	if ps := check(r); len(ps) > 0 {
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

// Envelope is what can be read from a request that failed validation, to
// record it and route a status event to its sender. Fields that do not have
// their contract form are left empty.
type Envelope struct {
	ID           string
	Municipality string
	System       string
}

var (
	uuidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	gemRe    = regexp.MustCompile(`^[0-9]{4}$`)
	systemRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
)

// Peek reads the id and sender of a request leniently.
func Peek(data []byte) Envelope {
	var p struct {
		ID     any `json:"id"`
		Sender struct {
			Municipality any `json:"municipality"`
			System       any `json:"system"`
		} `json:"sender"`
	}
	_ = json.Unmarshal(data, &p) // best effort: a broken request still yields what it can
	s := func(v any, re *regexp.Regexp) string {
		if str, ok := v.(string); ok && re.MatchString(str) {
			return str
		}
		return ""
	}
	return Envelope{
		ID:           s(p.ID, uuidRe),
		Municipality: s(p.Sender.Municipality, gemRe),
		System:       s(p.Sender.System, systemRe),
	}
}
