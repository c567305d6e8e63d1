// Package jsoncheck checks JSON documents against an embedded JSON Schema
// and reports each problem by JSON pointer and rule, never by value, so the
// report is safe to return to the sender and to log.
package jsoncheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Problem is one thing wrong with a document. Path is a JSON pointer
// ("/client/bsn"); Rule names the check ("schema:pattern", "CS002");
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

// Schema is a compiled schema. Safe for concurrent use.
type Schema struct {
	s *jsonschema.Schema
}

// Compile compiles a schema document (formats asserted).
func Compile(url string, schema []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", url, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", url, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", url, err)
	}
	return &Schema{s: s}, nil
}

// Check returns the problems of data against the schema (nil when valid).
func (s *Schema) Check(data []byte) []Problem {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []Problem{{Rule: "json", Message: jsonProblem(data)}}
	}
	if err := s.s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return schemaProblems(ve)
		}
		return []Problem{{Rule: "schema", Message: "does not match the contract"}}
	}
	return nil
}

// Decode unmarshals data (already checked) into v, refusing unknown fields.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
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

// schemaProblems flattens a validation error tree into its leaves, sorted by
// path. For a failed oneOf it follows only the branches whose discriminator
// matched, so a consent basis missing consent_ids is reported as exactly
// that.
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
	ps = dedupe(ps)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return ps
}

// discriminators are the fields whose value selects a oneOf branch.
var discriminators = map[string]bool{"kind": true, "command": true}

// branchKindMismatch reports whether a oneOf branch failed on its
// discriminator ("kind", "command"), i.e. the branch does not apply.
func branchKindMismatch(e *jsonschema.ValidationError) bool {
	switch e.ErrorKind.(type) {
	case *kind.Const, *kind.Enum:
		loc := e.InstanceLocation
		if len(loc) > 0 && discriminators[loc[len(loc)-1]] {
			return true
		}
	}
	for _, c := range e.Causes {
		if branchKindMismatch(c) {
			return true
		}
	}
	return false
}

var keywordRe = regexp.MustCompile(`[^a-zA-Z]`)

// maxListedValues is the longest enum a problem lists in full (LandCode has
// 249 values; naming them all helps nobody).
const maxListedValues = 25

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
		if len(want) > maxListedValues {
			msg = fmt.Sprintf("is not one of the %d values of its code list", len(want))
		}
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
	case *kind.FalseSchema:
		msg = "field not allowed here"
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
