package minimise

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluis-gateway/sluis/internal/category"
)

// Validate checks a profile; the error wraps ErrInvalidProfile and names the
// offending field ("fields[3].path", "free_text[/client/comment]", ...).
func (p Profile) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidProfile, field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "required")
	}
	if strings.TrimSpace(p.Version) == "" {
		bad("version", "required")
	}
	if p.Standard != "iWmo" && p.Standard != "iJw" {
		bad("standard", "must be iWmo or iJw")
	}
	if !composedTypes[p.MessageType] {
		bad("message_type", "must be 301, 319 or 325 (the message types composed from a disclosure request)")
	}
	if strings.TrimSpace(p.Purpose) == "" {
		bad("purpose", "required")
	}
	if p.OnExtra != "" && p.OnExtra != ExtraRefuse && p.OnExtra != ExtraStrip {
		bad("on_extra", "must be refuse or strip")
	}
	if len(p.Fields) == 0 {
		bad("fields", "at least one rule is needed")
	}
	seen := map[string]int{}
	for i, r := range p.Fields {
		at := fmt.Sprintf("fields[%d]", i)
		switch r.Use {
		case UseRequired, UseAllowed, UseNever, UseStrip:
		default:
			bad(at+".use", "must be required, allowed, never or strip")
		}
		if j, dup := seen[r.Path]; dup {
			bad(at+".path", "duplicate of fields[%d]", j)
			continue
		}
		seen[r.Path] = i
		covered := coveredFields(r.Path)
		if !validPattern(r.Path) || len(covered) == 0 {
			bad(at+".path", "%q names no field of the request contract", r.Path)
			continue
		}
		if r.Use == UseRequired || r.Use == UseAllowed {
			for _, f := range covered {
				if f.MessageType != p.MessageType {
					bad(at+".use", "%s is part of a %s, not of a %s; it can only be never or strip here", f.Path, f.MessageType, p.MessageType)
					break
				}
				if f.Standard != "" && f.Standard != p.Standard {
					bad(at+".use", "%s exists in %s only; it can only be never or strip here", f.Path, f.Standard)
					break
				}
			}
		}
		if r.Category != "" {
			if !r.Category.Valid() {
				bad(at+".category", "unknown category %q", string(r.Category))
			} else {
				for _, f := range covered {
					if f.Category != r.Category {
						bad(at+".category", "%s is in category %s, not %s", f.Path, f.Category, r.Category)
						break
					}
				}
			}
		}
	}
	// A rule that lets data through beneath a "never" rule contradicts it.
	for i, r := range p.Fields {
		if r.Use == UseNever {
			continue
		}
		for _, q := range p.Fields {
			if q.Use == UseNever && q.Path != r.Path && hasPrefix(r.Path, q.Path) {
				bad(fmt.Sprintf("fields[%d].use", i), "%s is %s beneath %s, which is never sent", r.Path, r.Use, q.Path)
			}
		}
	}
	// What the message type cannot do without must be required.
	for _, f := range fieldTable {
		if f.Control || f.Mandatory == Optional || f.MessageType != p.MessageType {
			continue
		}
		use := p.useOf(f.Path)
		if use == UseRequired {
			continue
		}
		if f.Mandatory == InElement && wholeElementWithheld(p, f.Path) {
			continue
		}
		bad("fields", "%s is mandatory in the %s but the profile makes it %s; it must be required", f.Path, p.MessageType, use)
	}
	// Free-text limits.
	for _, f := range fieldTable {
		if f.Category != category.FreeText {
			continue
		}
		use := p.useOf(f.Path)
		limit, has := p.FreeText[f.Path]
		if (use == UseRequired || use == UseAllowed) && !has {
			bad("free_text", "%s is %s but has no length limit", f.Path, use)
		}
		if has && (limit < 1 || limit > MaxFreeText) {
			bad("free_text["+f.Path+"]", "limit must be 1 to %d", MaxFreeText)
		}
	}
	for k := range p.FreeText {
		f, ok := lookupField(k)
		if !ok || f.Category != category.FreeText {
			bad("free_text["+k+"]", "not a free-text field")
		}
	}
	return errors.Join(errs...)
}

// composedTypes are the message types a disclosure request can ask for.
var composedTypes = map[string]bool{"301": true, "319": true, "325": true}

// wholeElementWithheld reports whether every field of the array element
// containing leaf pattern f is never sent or stripped, so the element (and
// its mandatory fields) cannot reach the Bericht.
func wholeElementWithheld(p Profile, f string) bool {
	i := strings.LastIndex(f, "/*/")
	if i < 0 {
		return false
	}
	elem := f[:i+2]
	for _, g := range fieldTable {
		if g.Control || !hasPrefix(g.Path, elem) {
			continue
		}
		if u := p.useOf(g.Path); u != UseNever && u != UseStrip && !(u == "extra" && p.onExtra() == ExtraStrip) {
			return false
		}
	}
	return true
}

// validPattern: starts with "/", no empty segment, "*" only as a whole
// segment, and never a concrete index.
func validPattern(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, s := range segments(p) {
		if s == "" || isIndex(s) || (strings.Contains(s, "*") && s != "*") {
			return false
		}
	}
	return true
}

// coveredFields returns the non-control table fields a rule path covers.
func coveredFields(rule string) []Field {
	var out []Field
	for _, f := range fieldTable {
		if !f.Control && hasPrefix(f.Path, rule) {
			out = append(out, f)
		}
	}
	return out
}

// safeToken returns s when it is a short code of letters, digits and "_",
// otherwise a placeholder: request values never go into error text.
func safeToken(s string) string {
	if s == "" || len(s) > 40 {
		return "(unknown)"
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_' || r == '-') {
			return "(unknown)"
		}
	}
	return s
}
