package messages

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// etreeIndented is how Build wrote its output before indent.go: etree's
// Indent(2) then WriteTo. It changes doc.
func etreeIndented(t *testing.T, doc *etree.Document) []byte {
	t.Helper()
	doc.Indent(2)
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestIndentedWriterMatchesEtree: writeDocument gives the same bytes as
// etree's Indent(2) + WriteTo, for the tree of every official example and
// golden message (parsed, then encoded as Build and Marshal do), and for
// hand-made trees with what encode never makes (whitespace-only text,
// empty elements, attributes, mixed content, comments).
func TestIndentedWriterMatchesEtree(t *testing.T) {
	var files []string
	for _, pat := range []string{
		"../testdata/messages/examples/*/*.xml",
		"../testdata/messages/examples/*/invalid-as-published/*.xml",
		"../testdata/messages/*.xml",
	} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("only %d files", len(files))
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := Parse(b)
		if err != nil {
			continue // the .bad files refused by Parse
		}
		cp, err := withDefaults(msg)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := encodeTree(cp)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := writeDocument(doc)
		if want := etreeIndented(t, doc); !bytes.Equal(got, want) {
			t.Errorf("%s: writeDocument differs from etree:\n got %s\nwant %s", f, got, want)
		}
		n++
	}
	if n < 30 {
		t.Fatalf("only %d messages compared", n)
	}

	for name, src := range map[string]string{
		"empty-root":      `<?xml version="1.0" encoding="UTF-8"?><a:R xmlns:a="urn:a"/>`,
		"whitespace-leaf": `<?xml version="1.0"?><R><a> </a><b>` + "\n\t" + `</b><c/><d>x</d></R>`,
		"nested":          `<R k="v&amp;&quot;" a:z="1" xmlns:a="urn:a"><a><b><c>t&lt;&gt;</c><e/></b></a><f>1</f></R>`,
		"mixed":           `<R>text<a/>more<b>x</b>tail</R>`,
		"comment-pi":      `<!--c--><?p x?><R><!--in--><a>1</a><?q?></R><!--after-->`,
		"preindented":     "<R>\n  <a>\n    <b>1</b>\n  </a>\n</R>\n",
		"cdata":           `<R><a><![CDATA[x<y]]></a><b><![CDATA[ ]]></b></R>`,
		"no-root-decl":    `<R><a>1</a></R>`,
	} {
		t.Run(name, func(t *testing.T) {
			parse := func() *etree.Document {
				d := etree.NewDocument()
				if err := d.ReadFromString(src); err != nil {
					t.Fatal(err)
				}
				return d
			}
			got := writeDocument(parse())
			if want := etreeIndented(t, parse()); !bytes.Equal(got, want) {
				t.Errorf("writeDocument differs from etree:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct{ name, path, wrapper, elem, want string }{
		{"name only", "", "", "A", "A"},
		{"wrapper", "", "W", "A", "W/A"},
		{"path", "P/Q", "", "A", "P/Q/A"},
		{"path and wrapper", "P", "W", "A", "P/W/A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinPath(tt.path, tt.wrapper, tt.elem); got != tt.want {
				t.Errorf("joinPath = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEncPath: the encoder's lazy path gives the strings the eager
// joinPath / "%s[%d]" code gave.
func TestEncPath(t *testing.T) {
	root := &encPath{name: "Client"}
	item := &encPath{parent: root, wrapper: "Contactgegevens", name: "Contact", index: 2}
	leaf := &encPath{parent: item, name: "Adres"}
	tests := []struct {
		name string
		p    *encPath
		want string
	}{
		{"nil", nil, ""},
		{"root", root, "Client"},
		{"item", item, "Client/Contactgegevens/Contact[2]"},
		{"below item", leaf, "Client/Contactgegevens/Contact[2]/Adres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMarshalNamesIJwOnlyPath: the encoder's error for an iJw-only element
// in an iWmo message carries the element's path.
func TestMarshalNamesIJwOnlyPath(t *testing.T) {
	b, err := os.ReadFile("../testdata/messages/examples/iwmo/WMO315.xml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	vt, ok := m.(*VerzoekToewijzing)
	if !ok {
		t.Fatalf("WMO315 parsed as %T", m)
	}
	vt.Client.GezagsdragerBekend = "1"
	_, err = Marshal(vt)
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("Marshal error %v, want a *RuleError", err)
	}
	if re.Path != "Client/GezagsdragerBekend" {
		t.Errorf("Path = %q, want Client/GezagsdragerBekend", re.Path)
	}
}
