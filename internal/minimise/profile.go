// Package minimise decides whether a disclosure carries only the data its
// purpose needs (privacy statement principle B, iStandaarden OP191). A purpose
// profile, one per standard, message type and purpose, says which request
// fields are required, allowed, stripped or never sent; Check compares a
// request with its profile and with what its legal basis covers, checks free
// text, and applies the iStandaarden prohibitions on what a gemeente sends.
// Its Result carries the checked copy of the request: the only input
// composition may take.
//
// Pure: no I/O except Load, no clock, safe for concurrent use. Problems name
// fields by JSON path and rule code, never by value. See docs/minimisation.md.
package minimise

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/sluis-gateway/sluis/internal/category"
)

// Uses of a field in a profile.
const (
	UseRequired = "required" // must be present; sent
	UseAllowed  = "allowed"  // may be present; sent
	UseNever    = "never"    // present refuses the disclosure (FIELD_NEVER_SENT)
	UseStrip    = "strip"    // present is removed from the checked copy and listed in Result.Stripped
)

// OnExtra values: what happens to a field no rule of the profile covers.
const (
	ExtraRefuse = "refuse" // the default: FIELD_NOT_IN_PROFILE
	ExtraStrip  = "strip"  // removed and listed in Result.Stripped
)

// MaxFreeText is the largest free-text limit a profile may set (the request
// contract's own limit; the XSD sets none).
const MaxFreeText = 4000

// Errors.
var (
	// ErrNoProfile: no profile for the standard, message type and purpose.
	ErrNoProfile = errors.New("no purpose profile")
	// ErrInvalidProfile: a profile file failed validation; the error names
	// the file and the field.
	ErrInvalidProfile = errors.New("invalid purpose profile")
)

// Profile is a purpose profile: what a disclosure of one standard, message
// type and purpose may carry. Profiles are data (JSON files, see
// docs/minimisation.md); Embedded holds the default set.
type Profile struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Standard    string `json:"standard"`     // "iWmo" | "iJw"
	MessageType string `json:"message_type"` // "301" | "319"
	Purpose     string `json:"purpose"`
	Description string `json:"description,omitempty"`
	// Fields are the rules. A rule's path is a JSON pointer pattern ("*"
	// for array indexes) naming a field of the request or a group of fields
	// (a prefix at a segment boundary: "/client/relations" covers every
	// field of every relation). The longest rule covering a field decides.
	Fields []FieldRule `json:"fields"`
	// FreeText maps each free-text field pattern the profile lets through to
	// its maximum length in characters (1..MaxFreeText).
	FreeText map[string]int `json:"free_text,omitempty"`
	// OnExtra is what happens to a field no rule covers: "refuse" (default)
	// or "strip".
	OnExtra string `json:"on_extra,omitempty"`
}

// FieldRule says how a profile treats a field or group of fields.
type FieldRule struct {
	Path string `json:"path"`
	// Category, when given, documents the data category of the fields the
	// rule covers; it must equal the category the request contract assigns
	// them (see Fields). Categories are not the profile's to change.
	Category category.Category `json:"category,omitempty"`
	Use      string            `json:"use"`
}

// Key returns the profile's name@version, as recorded in Result.Profile.
func (p Profile) Key() string { return p.Name + "@" + p.Version }

// ruleFor returns the longest rule covering leaf pattern f.
func (p Profile) ruleFor(f string) (FieldRule, bool) {
	best, found := FieldRule{}, false
	for _, r := range p.Fields {
		if hasPrefix(f, r.Path) && (!found || len(r.Path) > len(best.Path)) {
			best, found = r, true
		}
	}
	return best, found
}

// useOf returns the effective use of leaf pattern f: its rule's use, or
// "extra" when no rule covers it.
func (p Profile) useOf(f string) string {
	if r, ok := p.ruleFor(f); ok {
		return r.Use
	}
	return "extra"
}

func (p Profile) onExtra() string {
	if p.OnExtra == "" {
		return ExtraRefuse
	}
	return p.OnExtra
}

// Profiles is a validated set of profiles, at most one per standard, message
// type and purpose. Read-only after construction; safe for concurrent use.
type Profiles struct {
	byKey map[string]Profile
	files map[string]string // key -> file name, for duplicate errors
}

func profileKey(standard, messageType, purpose string) string {
	return standard + "|" + messageType + "|" + purpose
}

// For returns the profile for a standard, message type and purpose, or an
// error wrapping ErrNoProfile.
func (ps *Profiles) For(standard, messageType, purpose string) (Profile, error) {
	if ps != nil {
		if p, ok := ps.byKey[profileKey(standard, messageType, purpose)]; ok {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("%w for %s %s purpose %s", ErrNoProfile, safeToken(standard), safeToken(messageType), safeToken(purpose))
}

// All returns every profile, sorted by name.
func (ps *Profiles) All() []Profile {
	out := make([]Profile, 0, len(ps.byKey))
	for _, p := range ps.byKey {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

//go:embed profiles/*.json
var embedded embed.FS

// Embedded returns the profiles built into sluis (internal/minimise/profiles).
func Embedded() (*Profiles, error) {
	sub, err := fs.Sub(embedded, "profiles")
	if err != nil {
		return nil, fmt.Errorf("embedded profiles: %w", err)
	}
	return load(sub, "embedded profiles")
}

// Load reads every *.json file in dir as one profile each and returns them
// as a set that replaces the embedded one. Every profile is validated; the
// error (wrapping ErrInvalidProfile) names the file and the field.
func Load(dir string) (*Profiles, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("profiles dir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("profiles dir %s: not a directory", dir)
	}
	return load(os.DirFS(dir), dir)
}

func load(fsys fs.FS, where string) (*Profiles, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: %s holds no *.json profile", ErrInvalidProfile, where)
	}
	ps := &Profiles{byKey: map[string]Profile{}, files: map[string]string{}}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(where, name), err)
		}
		p, err := ParseProfile(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(where, name), err)
		}
		k := profileKey(p.Standard, p.MessageType, p.Purpose)
		if other, dup := ps.files[k]; dup {
			return nil, fmt.Errorf("%w: %s: duplicate profile for %s %s purpose %s (also in %s)",
				ErrInvalidProfile, filepath.Join(where, name), p.Standard, p.MessageType, p.Purpose, other)
		}
		ps.byKey[k] = p
		ps.files[k] = name
	}
	return ps, nil
}

// ParseProfile decodes and validates one profile document (JSON, unknown
// keys refused).
func ParseProfile(b []byte) (Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	if dec.More() {
		return Profile{}, fmt.Errorf("%w: trailing data after the profile", ErrInvalidProfile)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}
