package messages_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/beevik/etree"
	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
)

// mutantToday is the Build date of the differential test (every example's
// Dagtekening lies before it).
var mutantToday = messages.NewDate(2030, 1, 1)

// mutantBudget caps the mutants run (a deterministic sample keeps
// `go test -race` within about a minute).
const mutantBudget = 5000

// valueMutations are the text values tried on every simple element: empty,
// blank, lengths, numbers out of range, code-list neighbours, bad dates,
// times and patterns.
var valueMutations = []string{
	"", " ", "x", "X1", strings.Repeat("x", 5), strings.Repeat("9", 6), strings.Repeat("x", 13),
	strings.Repeat("x", 36), strings.Repeat("a", 201), "0", "-1", "00", "01", "99", "100", "123456",
	"1234567890", "+3", "03", "1.5", "A", "ZZ", "2026-02-30", "2026-13-01", "2026-1-1",
	"2026-01-01Z", "2026-01-01+01:00", "1890-01-01", "25:00:00", "12:00:00Z", "12:00", "01.0.0",
	"1.0", "1234 AB", "a.b.", " 12", "12\n", "9999",
}

type mutant struct {
	name string
	doc  []byte
}

// mutants returns the sampled mutants of one example: every element
// deleted, duplicated and swapped with its next sibling, and every simple
// element's text replaced by each value mutation. keep decides, from the
// mutant's name, whether it is built at all (a deterministic sample).
func mutants(t *testing.T, name string, orig []byte, keep func(string) bool) (all int, out []mutant) {
	t.Helper()
	base := etree.NewDocument()
	if err := base.ReadFromBytes(orig); err != nil {
		t.Fatal(err)
	}
	type target struct {
		idx    []int
		path   string
		leaf   string // text of a simple element
		simple bool
	}
	var targets []target
	var collect func(el *etree.Element, p []int, path string)
	collect = func(el *etree.Element, p []int, path string) {
		for i, c := range el.ChildElements() {
			cp := append(slices.Clone(p), i)
			cpath := fmt.Sprintf("%s/%s[%d]", path, c.Tag, i)
			targets = append(targets, target{cp, cpath, c.Text(), len(c.ChildElements()) == 0})
			collect(c, cp, cpath)
		}
	}
	collect(base.Root(), nil, "")
	apply := func(what string, tg target, f func(parent, el *etree.Element)) {
		all++
		mname := fmt.Sprintf("%s %s %s", name, what, tg.path)
		if !keep(mname) {
			return
		}
		d := base.Copy()
		parent := d.Root()
		for _, i := range tg.idx[:len(tg.idx)-1] {
			parent = parent.ChildElements()[i]
		}
		f(parent, parent.ChildElements()[tg.idx[len(tg.idx)-1]])
		d.Indent(2)
		b, err := d.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mutant{mname, b})
	}
	for _, tg := range targets {
		apply("delete", tg, func(parent, el *etree.Element) { parent.RemoveChild(el) })
		apply("duplicate", tg, func(parent, el *etree.Element) { parent.InsertChildAt(el.Index()+1, el.Copy()) })
		apply("swap", tg, func(parent, el *etree.Element) {
			sibs := parent.ChildElements()
			for i, s := range sibs {
				if s == el && i+1 < len(sibs) && sibs[i+1].Tag != el.Tag {
					next := sibs[i+1]
					parent.RemoveChild(next)
					parent.InsertChildAt(el.Index(), next)
				}
			}
		})
		if !tg.simple {
			continue
		}
		for _, v := range valueMutations {
			if v == tg.leaf {
				continue
			}
			apply(fmt.Sprintf("value %q", v), tg, func(_, el *etree.Element) { el.SetText(v) })
		}
	}
	return all, out
}

// TestDifferentialAgainstXSD runs mutants of every official example through
// Parse and Build and through the official XSD (libxml2) and asserts they
// agree: no XSD-invalid mutant is accepted, Build never writes an invalid
// document, and every refusal of an XSD-valid mutant names a rule.
func TestDifferentialAgainstXSD(t *testing.T) {
	v := newValidator(t)
	// A deterministic sample of about mutantBudget of the ~44,000
	// mutants: a mutant is kept when its name hashes below the share.
	const generatedEstimate = 44000
	keep := func(name string) bool {
		h := fnv.New32a()
		h.Write([]byte(name))
		return uint64(h.Sum32())*generatedEstimate < uint64(mutantBudget)<<32
	}
	var all []mutant
	generated := 0
	for _, f := range exampleFiles(t) {
		n, ms := mutants(t, filepath.Base(f), testenv.ReadFile(t, f), keep)
		generated += n
		all = append(all, ms...)
	}
	var xsdInvalid, refused, acceptedInvalid, wroteInvalid, unjustified atomic.Int64
	var wg sync.WaitGroup
	work := make(chan mutant)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				xsdErr := v.Validate(m.doc)
				msg, err := messages.Parse(m.doc)
				if err == nil {
					var out []byte
					out, err = messages.Build(msg, messages.BuildOptions{Today: mutantToday})
					if err == nil {
						if verr := v.Validate(out); verr != nil {
							wroteInvalid.Add(1)
							t.Errorf("%s: Build wrote an invalid document: %v", m.name, verr)
						}
					}
				}
				if xsdErr != nil {
					xsdInvalid.Add(1)
				}
				if err != nil {
					refused.Add(1)
				}
				switch {
				case xsdErr != nil && err == nil:
					acceptedInvalid.Add(1)
					t.Errorf("%s: the XSD refuses it (%v) but Parse and Build accept it", m.name, xsdErr)
				case xsdErr == nil && err != nil && !namedRule(err):
					unjustified.Add(1)
					t.Errorf("%s: XSD-valid but refused without a named rule: %v", m.name, err)
				}
			}
		}()
	}
	for _, m := range all {
		work <- m
	}
	close(work)
	wg.Wait()
	agree := int64(len(all)) - acceptedInvalid.Load() - unjustified.Load()
	t.Logf("%d mutants generated, %d run; %d XSD-invalid; %d refused by Parse/Build; %d XSD-invalid accepted; %d invalid documents written; %d refusals without a named rule; %d agree",
		generated, len(all), xsdInvalid.Load(), refused.Load(), acceptedInvalid.Load(), wroteInvalid.Load(), unjustified.Load(), agree)
	if len(all) < 4000 {
		t.Errorf("only %d mutants run", len(all))
	}
}

// namedRule: err names an iStandaarden rule (a code other than "XSD").
func namedRule(err error) bool {
	if !errors.Is(err, messages.ErrRule) {
		return false
	}
	for _, c := range messages.RuleCodes(err) {
		if c == "XSD" {
			return false
		}
	}
	return true
}
