package minimise

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// The request as its JSON form, without JSON. Check reads a request the way
// encoding/json would write it (a field is a key unless omitempty drops it;
// keys in sorted order; nil pointers and slices are null) and edits a
// private copy the way deleting keys from the decoded JSON and decoding it
// again would. Field plans per struct type are built once, at package
// initialisation, from the json tags. The differential test (diff_test.go)
// holds this to the JSON round trip it replaced.

// view reads a request copy as JSON; deleted holds the pointers of the keys
// removed from it (stripped or pruned), which JSON no longer has even where
// the Go zero value would still be written (numbers, objects).
type view struct {
	deleted map[string]bool
	buf     []byte // the pointer being walked
}

func (v *view) gone(path string) bool { return v.deleted != nil && v.deleted[path] }

// field returns the value of JSON key name of object o (path is o's
// pointer) and whether the key is there.
func (v *view) field(o reflect.Value, path, name string) (reflect.Value, bool) {
	o = deref(o)
	if !o.IsValid() || !isObject(o) {
		return reflect.Value{}, false
	}
	for _, f := range plans[o.Type()] {
		if f.name != name {
			continue
		}
		fv := o.Field(f.index)
		if omitted(f, fv) || v.gone(path+"/"+name) {
			return reflect.Value{}, false
		}
		return fv, true
	}
	return reflect.Value{}, false
}

// patNode is the JSON pointer pattern of one place in the request type,
// built once: walking the request takes its patterns from here instead of
// concatenating them.
type patNode struct {
	pattern string
	kids    []*patNode // structs: one per fieldPlan, in plan order
	elem    *patNode   // slices: the "*" element
}

var patRoot = func() *patNode {
	if errPlans != nil {
		return nil
	}
	return buildPat(reflect.TypeFor[disclosure.Request](), "")
}()

func buildPat(t reflect.Type, pattern string) *patNode {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	n := &patNode{pattern: pattern}
	switch {
	case t.Kind() == reflect.Slice:
		n.elem = buildPat(t.Elem(), pattern+"/*")
	case t.Kind() == reflect.Struct && t != timeType:
		for _, f := range plans[t] {
			n.kids = append(n.kids, buildPat(t.Field(f.index).Type, pattern+"/"+f.name))
		}
	}
	return n
}

// leaves returns the present leaves under the data roots, in document order
// (keys sorted, array order kept).
func (v *view) leaves(root reflect.Value) []leaf {
	out := make([]leaf, 0, 128)
	plan := plans[root.Type()]
	for _, name := range dataRoots {
		k := slices.IndexFunc(plan, func(f fieldPlan) bool { return f.name == name })
		n, ok := v.field(root, "", name)
		if k < 0 || !ok {
			continue
		}
		v.buf = append(v.buf[:0], '/')
		v.buf = append(v.buf, name...)
		v.walk(n, patRoot.kids[k], &out)
	}
	return out
}

// walk appends the leaves under n, whose pointer is v.buf, to out.
func (v *view) walk(n reflect.Value, pn *patNode, out *[]leaf) {
	n = deref(n)
	if !n.IsValid() {
		return
	}
	switch n.Kind() {
	case reflect.Struct:
		if n.Type() == timeType {
			*out = append(*out, leaf{path: string(v.buf), pattern: pn.pattern})
			return
		}
		at := len(v.buf)
		for k, f := range plans[n.Type()] {
			fv := n.Field(f.index)
			if omitted(f, fv) {
				continue
			}
			v.buf = append(v.buf[:at], '/')
			v.buf = append(v.buf, f.name...)
			if v.deleted != nil && v.deleted[string(v.buf)] {
				continue
			}
			v.walk(fv, pn.kids[k], out)
		}
		v.buf = v.buf[:at]
	case reflect.Slice:
		at := len(v.buf)
		for i := range n.Len() {
			v.buf = append(v.buf[:at], '/')
			v.buf = strconv.AppendInt(v.buf, int64(i), 10)
			v.walk(n.Index(i), pn.elem, out)
		}
		v.buf = v.buf[:at]
	case reflect.String:
		if n.Len() > 0 {
			*out = append(*out, leaf{path: string(v.buf), pattern: pn.pattern, text: n.String()})
		}
	case reflect.Bool:
		if n.Bool() {
			*out = append(*out, leaf{path: string(v.buf), pattern: pn.pattern})
		}
	default: // numbers: 0 is a value (house number 0, volume 0)
		*out = append(*out, leaf{path: string(v.buf), pattern: pn.pattern})
	}
}

// present reports whether the value at path holds any present non-control
// leaf.
func (v *view) present(n reflect.Value, path, pattern string) bool {
	n = deref(n)
	if !n.IsValid() {
		return false
	}
	switch n.Kind() {
	case reflect.Struct:
		if n.Type() != timeType {
			for _, f := range plans[n.Type()] {
				fv := n.Field(f.index)
				if omitted(f, fv) {
					continue
				}
				p := ""
				if v.deleted != nil {
					p = path + "/" + f.name
					if v.deleted[p] {
						continue
					}
				}
				if v.present(fv, p, pattern+"/"+f.name) {
					return true
				}
			}
			return false
		}
	case reflect.Slice:
		for i := range n.Len() {
			p := ""
			if v.deleted != nil {
				p = path + "/" + strconv.Itoa(i)
			}
			if v.present(n.Index(i), p, pattern+"/*") {
				return true
			}
		}
		return false
	}
	if f, ok := lookupField(pattern); ok && f.Control {
		return false
	}
	switch n.Kind() {
	case reflect.String:
		return n.Len() > 0
	case reflect.Bool:
		return n.Bool()
	}
	return true // numbers, times
}

// removeAll deletes the concrete leaf paths and then prunes the objects and
// array elements they leave without any present data (a relation whose
// every field was stripped disappears, informed_and_agreed and all). root
// must be addressable. Paths are those of the unpruned request; afterwards
// the view reads the pruned one.
func (v *view) removeAll(root reflect.Value, paths []string) {
	removed := map[string]bool{}
	touched := map[string]bool{}
	for _, p := range paths {
		segs := segments(p)
		if fv, ok := lookupValue(root, segs); ok {
			fv.SetZero()
			removed[p] = true
		}
		for i := 1; i < len(segs); i++ {
			touched["/"+strings.Join(segs[:i], "/")] = true
		}
	}
	v.deleted = map[string]bool{}
	for _, name := range dataRoots {
		if touched["/"+name] {
			if n, ok := v.field(root, "", name); ok {
				v.prune(n, "/"+name, "/"+name, "/"+name, touched, removed)
			}
		}
	}
}

// prune prunes n (at old pointer path in the unpruned request, new pointer
// npath after pruning), recording what it deletes in v.deleted by new path.
func (v *view) prune(n reflect.Value, path, npath, pattern string, touched, removed map[string]bool) {
	n = deref(n)
	if !n.IsValid() {
		return
	}
	switch {
	case isObject(n):
		for _, f := range plans[n.Type()] {
			// Most keys are neither removed nor touched: look them up
			// without building their pointers.
			v.buf = append(append(append(v.buf[:0], path...), '/'), f.name...)
			isRemoved := removed[string(v.buf)]
			if !isRemoved && !touched[string(v.buf)] {
				continue
			}
			np := npath + "/" + f.name
			if isRemoved {
				v.deleted[np] = true
				continue
			}
			cp, cpat := path+"/"+f.name, pattern+"/"+f.name
			fv := n.Field(f.index)
			if omitted(f, fv) {
				continue
			}
			v.prune(fv, cp, np, cpat, touched, removed)
			if !v.present(fv, np, cpat) {
				fv.SetZero()
				v.deleted[np] = true
			}
		}
	case n.Kind() == reflect.Slice:
		kept := 0
		for i := range n.Len() {
			e := n.Index(i)
			cp, np := path+"/"+strconv.Itoa(i), npath+"/"+strconv.Itoa(kept)
			if touched[cp] {
				v.prune(e, cp, np, pattern+"/*", touched, removed)
				if !v.present(e, np, pattern+"/*") {
					v.forget(np)
					continue
				}
			}
			if kept != i {
				n.Index(kept).Set(e)
			}
			kept++
		}
		for i := kept; i < n.Len(); i++ {
			n.Index(i).SetZero()
		}
		n.SetLen(kept)
	}
}

// forget drops the deletions recorded at or beneath new path p (an array
// element that was dropped, whose index the next element takes).
func (v *view) forget(p string) {
	for k := range v.deleted {
		if hasPrefix(k, p) {
			delete(v.deleted, k)
		}
	}
}

// lookupValue returns the addressable value at the pointer segments.
func lookupValue(n reflect.Value, segs []string) (reflect.Value, bool) {
	for _, s := range segs {
		n = deref(n)
		switch {
		case !n.IsValid():
			return reflect.Value{}, false
		case isObject(n):
			found := false
			for _, f := range plans[n.Type()] {
				if f.name == s {
					n, found = n.Field(f.index), true
					break
				}
			}
			if !found {
				return reflect.Value{}, false
			}
		case n.Kind() == reflect.Slice:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= n.Len() {
				return reflect.Value{}, false
			}
			n = n.Index(i)
		default:
			return reflect.Value{}, false
		}
	}
	return n, true
}

// missingRequired expands a required rule pattern over the request and
// returns the concrete paths where it is absent. Beneath an array ("*") the
// rule holds for each element that is there; an absent or empty array only
// counts as missing when the table says the field is always mandatory.
func (v *view) missingRequired(root reflect.Value, rule string) []string {
	var out []string
	segs := segments(rule)
	var rec func(n reflect.Value, i int, path string)
	rec = func(n reflect.Value, i int, path string) {
		if i == len(segs) {
			// The path follows the rule, indexes for its "*": the rule is
			// its pattern wherever a value was found.
			if !v.present(n, path, rule) {
				out = append(out, path)
			}
			return
		}
		s := segs[i]
		if s == "*" {
			arr := deref(n)
			if !arr.IsValid() || arr.Kind() != reflect.Slice || arr.Len() == 0 {
				if alwaysMandatoryUnder(rule) {
					out = append(out, path)
				}
				return
			}
			for j := range arr.Len() {
				rec(arr.Index(j), i+1, path+"/"+strconv.Itoa(j))
			}
			return
		}
		child, ok := v.field(n, path, s)
		if (!ok || isNull(child)) && i+1 < len(segs) && segs[i+1] != "*" {
			// A missing object: every required field beneath is missing.
			out = append(out, path+"/"+strings.Join(segs[i:], "/"))
			return
		}
		if !ok {
			child = reflect.Value{}
		}
		rec(child, i+1, path+"/"+s)
	}
	rec(root, 0, "")
	return out
}
