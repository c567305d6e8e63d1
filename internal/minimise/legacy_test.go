package minimise

// The implementation of Check before issue 7 (the request as a generic JSON
// tree, two JSON round trips), kept as the oracle of the differential test
// (diff_test.go): Check must return exactly what legacyCheck returns.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// legacyCheck checks request req against profile p and basis b. Pure; req is not
// modified.
//
// In order: the profile must be for the request's standard, message type
// and purpose; every present field is looked up in the profile (never →
// FIELD_NEVER_SENT; strip, or not covered with on_extra strip → removed;
// not covered otherwise → FIELD_NOT_IN_PROFILE); then, on the copy without
// the stripped fields: required fields (REQUIRED_MISSING), categories the
// basis covers (CATEGORY_NOT_COVERED), free text (length, BSN, phone,
// e-mail, postcode with house number, names and birth dates of persons the
// basis does not cover free text about) and the iStandaarden prohibitions
// (CS318, OP002x2, OP130). Every problem is reported, not only the first.
//
// p must be a valid profile (from Embedded, Load or ParseProfile, or one
// that passed Validate); Check does not validate it again.
func legacyCheck(req disclosure.Request, p Profile, b Basis) Result {
	res := Result{Profile: p.Key()}
	problem := func(path, code, format string, args ...any) {
		p := Problem{Path: path, Code: code, Message: fmt.Sprintf(format, args...)}
		if !slices.Contains(res.Problems, p) {
			res.Problems = append(res.Problems, p)
		}
	}

	if req.Standard != p.Standard {
		problem("/standard", CodeProfileMismatch, "the profile is for another standard")
	}
	if req.MessageType != p.MessageType {
		problem("/message_type", CodeProfileMismatch, "the profile is for another message type")
	}
	if req.Purpose != p.Purpose {
		problem("/purpose", CodeProfileMismatch, "the profile is for another purpose")
	}

	tree, err := toTree(req)
	if err != nil {
		problem("", CodeInternal, "the request could not be copied for checking")
		return res
	}

	// 1. Every present field against the profile.
	var strip []string
	relLeaves := map[string]int{} // "/client/relations/N" -> data fields
	relStripped := map[string]int{}
	all := leaves(tree)
	for _, l := range all {
		f, known := lookupField(l.pattern)
		if known && f.Control {
			continue
		}
		rel := relationOf(l.path)
		if rel != "" {
			relLeaves[rel]++
		}
		if !known {
			problem(l.path, CodeFieldNotInProfile, "the field is not in the request contract the profiles know")
			continue
		}
		switch use := p.useOf(l.pattern); use {
		case UseRequired, UseAllowed:
		case UseNever:
			problem(l.path, CodeFieldNeverSent, "the profile never sends this field")
		case UseStrip:
			strip = append(strip, l.path)
			relStripped[rel]++
		default:
			if p.onExtra() == ExtraStrip {
				strip = append(strip, l.path)
				relStripped[rel]++
			} else {
				problem(l.path, CodeFieldNotInProfile, "the field is not in the purpose profile")
			}
		}
	}
	strip = contactRules(req.MessageType, all, strip, problem)
	res.Stripped = strip
	if len(strip) > 0 {
		removeAll(tree, strip)
	}
	checked, err := fromTree(tree)
	if err != nil {
		problem("", CodeInternal, "the checked request could not be rebuilt")
		return res
	}

	// 2. Required fields, on the checked copy.
	for _, r := range p.Fields {
		if r.Use != UseRequired {
			continue
		}
		for _, missing := range missingRequired(tree, r.Path) {
			problem(missing, CodeRequiredMissing, "the profile requires this field")
		}
	}

	// 3. Categories the basis covers.
	present := leaves(tree)
	seen := map[category.Category]bool{}
	for _, l := range present {
		if f, ok := lookupField(l.pattern); ok && !f.Control && !seen[f.Category] {
			seen[f.Category] = true
			res.Categories = append(res.Categories, f.Category)
		}
	}
	slices.Sort(res.Categories)
	if b.Covered != nil {
		for _, l := range present {
			f, ok := lookupField(l.pattern)
			if !ok || f.Control {
				continue
			}
			if !slices.Contains(b.Covered, f.Category) {
				problem(l.path, CodeCategoryNotCovered, "the basis does not cover data category %s", f.Category)
			}
		}
	}

	// 4. Free text. Persons come from the original request: a name of a
	// stripped relation is personal data too.
	people := personsOf(req)
	about := map[string]bool{}
	for _, a := range b.FreeTextAbout {
		about[a] = true
	}
	for _, l := range present {
		f, ok := lookupField(l.pattern)
		if !ok || f.Category != category.FreeText {
			continue
		}
		text := stringAt(tree, l.path)
		limit, has := p.FreeText[l.pattern]
		if !has {
			limit = MaxFreeText
		}
		if n := utf8.RuneCountInString(text); n > limit {
			problem(l.path, CodeFreeTextTooLong, "the free text has %d characters; the profile allows %d", n, limit)
		}
		for _, hit := range scanFreeText(text, people, about) {
			problem(l.path, hit.code, "%s", hit.message)
		}
	}

	// 5. iStandaarden prohibitions on what a gemeente sends.
	// The relations that survived stripping, by their index in req.
	var survivors []int
	for i := range req.Client.Relations {
		k := "/client/relations/" + strconv.Itoa(i)
		if relLeaves[k] > relStripped[k] {
			survivors = append(survivors, i)
		}
	}
	prohibitions(req, checked, survivors, b, problem, &res)

	if len(res.Problems) == 0 {
		res.Allowed = true
		res.Request = checked
	}
	return res
}

// ---- the request as a JSON tree ----

// toTree copies the request into a generic JSON tree (numbers kept exact).
func toTree(req disclosure.Request) (map[string]any, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func fromTree(m map[string]any) (disclosure.Request, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return disclosure.Request{}, err
	}
	var r disclosure.Request
	if err := json.Unmarshal(b, &r); err != nil {
		return disclosure.Request{}, err
	}
	return r, nil
}

// leaves returns the present leaves under the data roots, in document order
// (keys sorted, array order kept).
func leaves(tree map[string]any) []leaf {
	var out []leaf
	for _, root := range dataRoots {
		walk(tree[root], "/"+root, "/"+root, &out)
	}
	return out
}

func walk(n any, path, pattern string, out *[]leaf) {
	switch v := n.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(v[k], path+"/"+k, pattern+"/"+k, out)
		}
	case []any:
		for i, e := range v {
			walk(e, path+"/"+strconv.Itoa(i), pattern+"/*", out)
		}
	default:
		if presentScalar(v) {
			text, _ := v.(string)
			*out = append(*out, leaf{path: path, pattern: pattern, text: text})
		}
	}
}

func presentScalar(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case bool:
		return x
	default:
		return true // numbers: 0 is a value (house number 0, volume 0)
	}
}

// present reports whether a subtree holds any present non-control leaf.
func present(n any, pattern string) bool {
	switch v := n.(type) {
	case map[string]any:
		for k, c := range v {
			if present(c, pattern+"/"+k) {
				return true
			}
		}
		return false
	case []any:
		for _, c := range v {
			if present(c, pattern+"/*") {
				return true
			}
		}
		return false
	default:
		if f, ok := lookupField(pattern); ok && f.Control {
			return false
		}
		return presentScalar(v)
	}
}

// removeAll deletes the concrete leaf paths and then prunes the objects and
// array elements they leave without any present data (a relation whose
// every field was stripped disappears, informed_and_agreed and all).
func removeAll(tree map[string]any, paths []string) {
	touched := map[string]bool{}
	for _, p := range paths {
		segs := segments(p)
		parent := lookup(tree, segs[:len(segs)-1])
		if m, ok := parent.(map[string]any); ok {
			delete(m, segs[len(segs)-1])
		}
		for i := 1; i < len(segs); i++ {
			touched["/"+strings.Join(segs[:i], "/")] = true
		}
	}
	for _, root := range dataRoots {
		if touched["/"+root] {
			tree[root] = prune(tree[root], "/"+root, "/"+root, touched)
		}
	}
}

func prune(n any, path, pattern string, touched map[string]bool) any {
	switch v := n.(type) {
	case map[string]any:
		for k, c := range v {
			cp, cpat := path+"/"+k, pattern+"/"+k
			if !touched[cp] {
				continue
			}
			c = prune(c, cp, cpat, touched)
			if !present(c, cpat) {
				delete(v, k)
				continue
			}
			v[k] = c
		}
		return v
	case []any:
		kept := v[:0:0]
		for i, c := range v {
			cp, cpat := path+"/"+strconv.Itoa(i), pattern+"/*"
			if touched[cp] {
				c = prune(c, cp, cpat, touched)
				if !present(c, cpat) {
					continue
				}
			}
			kept = append(kept, c)
		}
		return kept
	default:
		return n
	}
}

func lookup(n any, segs []string) any {
	for _, s := range segs {
		switch v := n.(type) {
		case map[string]any:
			n = v[s]
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(v) {
				return nil
			}
			n = v[i]
		default:
			return nil
		}
	}
	return n
}

func stringAt(tree map[string]any, path string) string {
	s, _ := lookup(tree, segments(path)).(string)
	return s
}

// missingRequired expands a required rule pattern over the tree and returns
// the concrete paths where it is absent. Beneath an array ("*") the rule
// holds for each element that is there; an absent or empty array only
// counts as missing when the table says the field is always mandatory.
func missingRequired(tree map[string]any, rule string) []string {
	var out []string
	segs := segments(rule)
	var rec func(n any, i int, path string)
	rec = func(n any, i int, path string) {
		if i == len(segs) {
			if !present(n, patternOf(path)) {
				out = append(out, path)
			}
			return
		}
		s := segs[i]
		if s == "*" {
			arr, _ := n.([]any)
			if len(arr) == 0 {
				if alwaysMandatoryUnder(rule) {
					out = append(out, path)
				}
				return
			}
			for j, e := range arr {
				rec(e, i+1, path+"/"+strconv.Itoa(j))
			}
			return
		}
		m, _ := n.(map[string]any)
		var child any
		if m != nil {
			child = m[s]
		}
		if child == nil && i+1 < len(segs) && segs[i+1] != "*" {
			// A missing object: every required field beneath is missing.
			out = append(out, path+"/"+strings.Join(segs[i:], "/"))
			return
		}
		rec(child, i+1, path+"/"+s)
	}
	rec(tree, 0, "")
	return out
}
