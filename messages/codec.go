package messages

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// A small reflection codec between the structs of messages.go and etree
// trees, driven by the `iw` field tags (see messages.go).

type field struct {
	index   int
	name    string // element local name
	wrapper string // wrapper element, for repeated items
	basis   bool   // element in the basisschema namespace
	ijwOnly bool
}

var fieldCache sync.Map // reflect.Type → []field

func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("iw")
		if tag == "" || tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		f := field{index: i, name: parts[0]}
		if w, item, ok := strings.Cut(parts[0], "/"); ok {
			f.wrapper, f.name = w, item
		}
		for _, p := range parts[1:] {
			switch p {
			case "b":
				f.basis = true
			case "ijw":
				f.ijwOnly = true
			}
		}
		out = append(out, f)
	}
	fieldCache.Store(t, out)
	return out
}

var textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

type isZeroer interface{ IsZero() bool }

type encoder struct {
	std         Standard
	basisPrefix string
	msgPrefix   string
}

// encPath is an element path as the encoder walks down, turned into a
// string (joinPath, "[i]" for repeated items) only for an error: a path
// string per field was a third of Build's allocations.
type encPath struct {
	parent        *encPath
	wrapper, name string
	index         int // 1-based item number; 0: not an item
}

func (p *encPath) String() string {
	if p == nil {
		return ""
	}
	s := joinPath(p.parent.String(), p.wrapper, p.name)
	if p.index > 0 {
		s = fmt.Sprintf("%s[%d]", s, p.index)
	}
	return s
}

// encodeStruct appends v's fields to parent as child elements.
func (e *encoder) encodeStruct(parent *etree.Element, v reflect.Value, path *encPath) error {
	// One path node (and one for items) per struct, reused for each field:
	// no callee keeps it.
	var p, item encPath
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		p = encPath{parent: path, wrapper: f.wrapper, name: f.name}
		if f.ijwOnly && e.std != IJw {
			if !fv.IsZero() {
				return &RuleError{Code: "XSD", Path: p.String(), Msg: "element exists only in iJw"}
			}
			continue
		}
		prefix := e.msgPrefix
		if f.basis {
			prefix = e.basisPrefix
		}
		if fv.Kind() == reflect.Slice {
			if fv.Len() == 0 {
				continue
			}
			target := parent
			if f.wrapper != "" {
				target = parent.CreateElement(e.msgPrefix + ":" + f.wrapper)
			}
			for i := 0; i < fv.Len(); i++ {
				item = p
				item.index = i + 1
				if err := e.encodeValue(target, prefix+":"+f.name, fv.Index(i), &item); err != nil {
					return err
				}
			}
			continue
		}
		if err := e.encodeValue(parent, prefix+":"+f.name, fv, &p); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) encodeValue(parent *etree.Element, qname string, v reflect.Value, path *encPath) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Type().Implements(textMarshalerType) {
		if z, ok := v.Interface().(isZeroer); ok && z.IsZero() {
			return nil
		}
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return &RuleError{Code: "XSD", Path: path.String(), Msg: err.Error()}
		}
		parent.CreateElement(qname).SetText(string(b))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return nil
		}
		parent.CreateElement(qname).SetText(v.String())
	case reflect.Int, reflect.Int64, reflect.Int32:
		parent.CreateElement(qname).SetText(strconv.FormatInt(v.Int(), 10))
	case reflect.Struct:
		el := parent.CreateElement(qname)
		return e.encodeStruct(el, v, path)
	default:
		return fmt.Errorf("messages: cannot encode %s at %s", v.Type(), path.String())
	}
	return nil
}

func joinPath(path, wrapper, name string) string {
	switch {
	case path == "" && wrapper == "":
		return name
	case path == "":
		return wrapper + "/" + name
	case wrapper == "":
		return path + "/" + name
	}
	return path + "/" + wrapper + "/" + name
}

type decoder struct {
	root    *etree.Element // its attributes are checked by Parse
	std     Standard
	basisNS string
	msgNS   string
}

func malformed(path, msg string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, path, msg)
}

// decodeStruct fills v from el's child elements. Unknown or misplaced
// elements, repeated single elements, and bad leaf values are errors;
// missing elements are not (the XSD checks cardinality).
func (d *decoder) decodeStruct(el *etree.Element, v reflect.Value, path string) error {
	fields := fieldsOf(v.Type())
	seen := map[int]bool{}
	if el != d.root && hasNonNS(el) {
		return malformed(path, "unexpected attribute")
	}
	if strings.TrimSpace(directText(el)) != "" {
		return malformed(path, "unexpected text")
	}
	for _, child := range el.ChildElements() {
		ns := child.NamespaceURI()
		var f *field
		for i := range fields {
			name := fields[i].name
			if fields[i].wrapper != "" {
				name = fields[i].wrapper
			}
			want := d.msgNS
			if fields[i].basis && fields[i].wrapper == "" {
				want = d.basisNS
			}
			if name == child.Tag && ns == want {
				f = &fields[i]
				break
			}
		}
		cp := joinPath(path, "", child.Tag)
		if f == nil {
			return malformed(cp, "unexpected element")
		}
		if f.ijwOnly && d.std != IJw {
			return malformed(cp, "element exists only in iJw")
		}
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Slice {
			items := []*etree.Element{child}
			if f.wrapper != "" {
				if seen[f.index] {
					return malformed(cp, "repeated element")
				}
				if strings.TrimSpace(directText(child)) != "" || len(child.Attr) > 0 && hasNonNS(child) {
					return malformed(cp, "unexpected content")
				}
				items = child.ChildElements()
			}
			seen[f.index] = true
			itemNS := d.msgNS
			if f.basis {
				itemNS = d.basisNS
			}
			for _, it := range items {
				ip := fmt.Sprintf("%s[%d]", joinPath(path, f.wrapper, f.name), fv.Len()+1)
				if it.Tag != f.name || it.NamespaceURI() != itemNS {
					return malformed(joinPath(cp, "", it.Tag), "unexpected element")
				}
				item := reflect.New(fv.Type().Elem()).Elem()
				if err := d.decodeValue(it, item, ip); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, item))
			}
			continue
		}
		if seen[f.index] {
			return malformed(cp, "repeated element")
		}
		seen[f.index] = true
		if err := d.decodeValue(child, fv, cp); err != nil {
			return err
		}
	}
	return nil
}

func hasNonNS(el *etree.Element) bool {
	for _, a := range el.Attr {
		if a.Space != "xmlns" && a.Key != "xmlns" {
			return true
		}
	}
	return false
}

// directText is the concatenated character data directly inside el.
func directText(el *etree.Element) string {
	if len(el.Child) == 1 {
		if cd, ok := el.Child[0].(*etree.CharData); ok {
			return cd.Data
		}
	}
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

func (d *decoder) decodeValue(el *etree.Element, v reflect.Value, path string) error {
	if v.Kind() == reflect.Pointer {
		nv := reflect.New(v.Type().Elem())
		if err := d.decodeValue(el, nv.Elem(), path); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	if v.Kind() != reflect.Struct || v.Addr().Type().Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		if len(el.ChildElements()) > 0 || hasNonNS(el) {
			return malformed(path, "unexpected content in a simple element")
		}
	}
	text := directText(el)
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(strings.TrimSpace(text))); err != nil {
			return malformed(path, err.Error())
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return malformed(path, "not an integer")
		}
		v.SetInt(n)
	case reflect.Struct:
		return d.decodeStruct(el, v, path)
	default:
		return fmt.Errorf("messages: cannot decode %s at %s", v.Type(), path)
	}
	return nil
}
