package config

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Setting describes one SLUIS_* variable; Settings (reference_gen.go,
// generated from this package's source by ./gen) lists them all.
type Setting struct {
	// Name is the environment variable, Field the Config field it fills.
	Name, Field string
	// Default is the envDefault value ("" means empty).
	Default string
	// Type is how the value is written: string, boolean, integer,
	// duration or time (RFC 3339).
	Type string
	// Section groups related settings (an embedded struct or a
	// "Section:" comment in the struct).
	Section string
	// Doc is the field's doc comment as one paragraph.
	Doc string
}

// Summary is the first sentence of Doc.
func (s Setting) Summary() string {
	if i := strings.Index(s.Doc, ". "); i >= 0 {
		return s.Doc[:i+1]
	}
	return s.Doc
}

// Value is a setting's effective value as `sluis config check` prints it.
type Value struct {
	Setting
	Value string
}

// Effective returns every setting with its value in c, in the order of
// Settings; a URL's password is shown as xxxxx.
func (c Config) Effective() ([]Value, error) {
	v := reflect.ValueOf(c)
	out := make([]Value, 0, len(Settings))
	for _, s := range Settings {
		f := v.FieldByName(s.Field)
		if !f.IsValid() {
			return nil, fmt.Errorf("%w: Settings names field %s that Config lacks (run go generate ./internal/config)", ErrInvalid, s.Field)
		}
		out = append(out, Value{Setting: s, Value: Redact(format(f.Interface()))})
	}
	return out, nil
}

func format(v any) string {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.Format(time.RFC3339)
	default:
		return fmt.Sprint(v)
	}
}

// Redact hides the password of a URL value (amqp://user:xxxxx@host/); other
// values are returned as they are.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	return u.Redacted()
}
