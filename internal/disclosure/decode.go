package disclosure

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/sluis-gateway/sluis/docs/contract"
	"github.com/sluis-gateway/sluis/messages"
)

// MaxRequestBytes bounds a request body. A 301 with 50 products and 20
// relations fits in well under this.
const MaxRequestBytes = 256 << 10

// ErrInvalid is matched (errors.Is) by every *InvalidError.
var ErrInvalid = errors.New("invalid disclosure request")

// Problem is one thing wrong with a request. Path is a JSON pointer into the
// request ("/client/bsn"); Rule names the check ("schema:pattern", "CS002");
// Message says what is wrong without repeating the value.
type Problem struct {
	Path    string `json:"path"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return path + ": " + p.Message
}

// InvalidError lists the problems of a request, sorted by path. Its text is
// safe to return to the sender and to log: it never holds field values.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return ErrInvalid.Error() + ": " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Decoder validates and decodes requests. It is safe for concurrent use.
type Decoder struct {
	schema *jsonschema.Schema
}

// NewDecoder compiles the embedded contract schema.
func NewDecoder() (*Decoder, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(contract.DisclosureV1))
	if err != nil {
		return nil, fmt.Errorf("disclosure schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "urn:sluis:contract:disclosure:1"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("disclosure schema: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("disclosure schema: %w", err)
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
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return Request{}, invalid(Problem{Rule: "json", Message: jsonProblem(data)})
	}
	if err := d.schema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return Request{}, invalid(schemaProblems(ve)...)
		}
		return Request{}, invalid(Problem{Rule: "schema", Message: "does not match the contract"})
	}
	var r Request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		// The schema passed, so this is a mismatch between schema and types.
		return Request{}, invalid(Problem{Rule: "json", Message: "does not decode into the contract types"})
	}
	if ps := check(r); len(ps) > 0 {
		return Request{}, invalid(ps...)
	}
	return r, nil
}

// check holds the rules JSON Schema cannot express.
func check(r Request) []Problem {
	var ps []Problem
	if !messages.ValidBSN(r.Client.BSN) {
		ps = append(ps, Problem{Path: "/client/bsn", Rule: "CS002", Message: "BSN fails the 11-proef (CS002)"})
	}
	return ps
}

func invalid(ps ...Problem) *InvalidError {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return &InvalidError{Problems: ps}
}

// jsonProblem names where the JSON breaks, by offset only: the text around it
// may be personal data.
func jsonProblem(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not valid JSON (syntax error at byte %d)", se.Offset)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "empty request"
	}
	return "not valid JSON"
}

// schemaProblems flattens a validation error tree into its leaves. For a
// failed oneOf it follows only the branches whose "kind" matched, so a
// consent basis missing consent_ids is reported as exactly that.
func schemaProblems(ve *jsonschema.ValidationError) []Problem {
	var ps []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if _, ok := e.ErrorKind.(*kind.OneOf); ok && len(e.Causes) > 0 {
			var kept []*jsonschema.ValidationError
			for _, c := range e.Causes {
				if !branchKindMismatch(c) {
					kept = append(kept, c)
				}
			}
			if len(kept) == 0 {
				ps = append(ps, Problem{Path: pointer(e.InstanceLocation), Rule: "schema:oneOf", Message: "matches none of the allowed forms"})
				return
			}
			for _, c := range kept {
				walk(c)
			}
			return
		}
		if len(e.Causes) == 0 {
			ps = append(ps, leafProblem(e))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return dedupe(ps)
}

// branchKindMismatch reports whether a oneOf branch failed on its "kind"
// discriminator (const), i.e. the branch does not apply.
func branchKindMismatch(e *jsonschema.ValidationError) bool {
	if _, ok := e.ErrorKind.(*kind.Const); ok {
		loc := e.InstanceLocation
		return len(loc) > 0 && loc[len(loc)-1] == "kind"
	}
	for _, c := range e.Causes {
		if branchKindMismatch(c) {
			return true
		}
	}
	return false
}

var keywordRe = regexp.MustCompile(`[^a-zA-Z]`)

// leafProblem describes one failed keyword without quoting the value.
func leafProblem(e *jsonschema.ValidationError) Problem {
	path := pointer(e.InstanceLocation)
	kw := "schema"
	if kp := e.ErrorKind.KeywordPath(); len(kp) > 0 {
		kw = "schema:" + keywordRe.ReplaceAllString(kp[0], "")
	}
	var msg string
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		msg = "missing required field " + strings.Join(k.Missing, ", ")
	case *kind.AdditionalProperties:
		msg = "field not allowed by the contract: " + strings.Join(k.Properties, ", ")
	case *kind.Type:
		msg = fmt.Sprintf("must be %s, not %s", strings.Join(k.Want, " or "), k.Got)
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		msg = "must be one of " + strings.Join(want, ", ")
	case *kind.Const:
		msg = fmt.Sprintf("must be %v", k.Want)
	case *kind.Pattern:
		msg = "does not have the required form"
	case *kind.Format:
		msg = "is not a valid " + k.Want
	case *kind.MinLength:
		msg = fmt.Sprintf("shorter than %d characters", k.Want)
	case *kind.MaxLength:
		msg = fmt.Sprintf("longer than %d characters", k.Want)
	case *kind.MinItems:
		msg = fmt.Sprintf("needs at least %d items", k.Want)
	case *kind.MaxItems:
		msg = fmt.Sprintf("allows at most %d items", k.Want)
	case *kind.Minimum:
		msg = "is below the minimum " + k.Want.RatString()
	case *kind.Maximum:
		msg = "is above the maximum " + k.Want.RatString()
	case *kind.UniqueItems:
		msg = "items must be unique"
	case *kind.MinProperties, *kind.MaxProperties:
		msg = "has the wrong number of fields"
	default:
		msg = "does not match the contract (" + strings.TrimPrefix(kw, "schema:") + ")"
	}
	return Problem{Path: path, Rule: kw, Message: msg}
}

func pointer(loc []string) string {
	if len(loc) == 0 {
		return ""
	}
	var b strings.Builder
	for _, s := range loc {
		b.WriteByte('/')
		s = strings.ReplaceAll(s, "~", "~0")
		b.WriteString(strings.ReplaceAll(s, "/", "~1"))
	}
	return b.String()
}

func dedupe(ps []Problem) []Problem {
	seen := make(map[Problem]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
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
