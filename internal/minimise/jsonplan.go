package minimise

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// dataRoots are the parts of the request that can reach the Bericht as
// data (client and assignment of a 301, answer of a 319, declaration of a
// 325); the rest (sender, in_reply_to,
// recipient, standard, legal basis, ...) is the envelope of the request and
// not governed by profiles.
var dataRoots = []string{"client", "assignment", "answer", "declaration"}

// fieldPlan is one JSON key of a struct type.
type fieldPlan struct {
	index     int
	name      string
	omitEmpty bool
}

var (
	timeType = reflect.TypeFor[time.Time]()
	// plans maps every struct type reachable from disclosure.Request to its
	// JSON keys in sorted order. Read-only after init.
	plans    = map[reflect.Type][]fieldPlan{}
	errPlans = buildPlans(reflect.TypeFor[disclosure.Request]())
)

func buildPlans(t reflect.Type) error {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return nil
	case reflect.Pointer, reflect.Slice:
		return buildPlans(t.Elem())
	case reflect.Struct:
		if t == timeType {
			return nil
		}
		if _, done := plans[t]; done {
			return nil
		}
		var fs []fieldPlan
		plans[t] = fs // marks the type as in progress
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			if sf.Anonymous {
				return fmt.Errorf("%s.%s: embedded fields are not supported", t, sf.Name)
			}
			name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			for _, o := range strings.Split(opts, ",") {
				if o != "" && o != "omitempty" {
					return fmt.Errorf("%s.%s: json option %q is not supported", t, sf.Name, o)
				}
			}
			if err := buildPlans(sf.Type); err != nil {
				return err
			}
			fs = append(fs, fieldPlan{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
		}
		sort.Slice(fs, func(a, b int) bool { return fs[a].name < fs[b].name })
		for k := 1; k < len(fs); k++ {
			if fs[k].name == fs[k-1].name {
				return fmt.Errorf("%s: duplicate json key %q", t, fs[k].name)
			}
		}
		plans[t] = fs
		return nil
	default:
		return fmt.Errorf("%s: kind %s is not supported", t, t.Kind())
	}
}

// omitted reports whether encoding/json drops a field with omitempty.
func omitted(f fieldPlan, v reflect.Value) bool {
	if !f.omitEmpty {
		return false
	}
	switch v.Kind() {
	case reflect.String, reflect.Slice:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Pointer:
		return v.IsNil()
	}
	return false // structs are never empty to encoding/json
}

// isObject reports whether v is a JSON object (a struct other than
// time.Time, which is a string).
func isObject(v reflect.Value) bool {
	return v.Kind() == reflect.Struct && v.Type() != timeType
}

// deref follows pointers; a nil pointer gives the invalid Value (null).
func deref(v reflect.Value) reflect.Value {
	for v.IsValid() && v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// isNull reports whether v is JSON null: invalid, a nil pointer or a nil
// slice.
func isNull(v reflect.Value) bool {
	if !v.IsValid() {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice:
		return v.IsNil()
	}
	return false
}

// jsonCopy returns what decoding the JSON encoding of r gives: a deep copy
// in which invalid UTF-8 bytes are U+FFFD, empty omitempty slices are nil,
// and times went through MarshalJSON and UnmarshalJSON (the error when
// encoding one fails).
func jsonCopy(r disclosure.Request) (disclosure.Request, error) {
	if errPlans != nil {
		return disclosure.Request{}, errPlans
	}
	var out disclosure.Request
	err := copyJSON(reflect.ValueOf(&out).Elem(), reflect.ValueOf(r), false)
	return out, err
}

func copyJSON(dst, src reflect.Value, omitEmpty bool) error {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(validUTF8(src.String()))
	case reflect.Bool:
		dst.SetBool(src.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		dst.SetInt(src.Int())
	case reflect.Pointer:
		if src.IsNil() {
			return nil
		}
		p := reflect.New(src.Type().Elem())
		if err := copyJSON(p.Elem(), src.Elem(), false); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() || (src.Len() == 0 && omitEmpty) {
			return nil
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			if err := copyJSON(s.Index(i), src.Index(i), false); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Struct:
		if src.Type() == timeType {
			b, err := src.Interface().(time.Time).MarshalJSON()
			if err != nil {
				return err
			}
			var t time.Time
			if err := t.UnmarshalJSON(b); err != nil {
				return err
			}
			dst.Set(reflect.ValueOf(t))
			return nil
		}
		for _, f := range plans[src.Type()] {
			if err := copyJSON(dst.Field(f.index), src.Field(f.index), f.omitEmpty); err != nil {
				return err
			}
		}
	}
	return nil
}

// validUTF8 replaces each byte of s that is not valid UTF-8 with U+FFFD, as
// encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
