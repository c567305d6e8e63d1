package xsd

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluis-gateway/sluis/internal/testenv"
)

const examplesDir = "../testdata/messages/examples"

func newValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// TestEmbeddedChecksums checks every embedded schema against SHA256SUMS and
// that SHA256SUMS lists nothing that is not embedded.
func TestEmbeddedChecksums(t *testing.T) {
	f, err := os.Open("SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			t.Fatalf("bad SHA256SUMS line %q", sc.Text())
		}
		want[fields[1]] = fields[0]
	}
	if len(want) != 31 {
		t.Fatalf("SHA256SUMS lists %d files, want 31 (2×15 + envelope)", len(want))
	}
	for name, sum := range want {
		data, err := schemaFS.ReadFile(name)
		if err != nil {
			t.Errorf("%s listed but not embedded: %v", name, err)
			continue
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: checksum differs from SHA256SUMS", name)
		}
	}
}

// TestSchemasMatchReference compares the embedded official schemas with the
// shared reference copy (../shared/reference/ from the repository root); a
// missing copy fails the test.
func TestSchemasMatchReference(t *testing.T) {
	ref := testenv.Reference(t)
	for _, dir := range []string{"iwmo/3.2", "ijw/3.2"} {
		files, err := filepath.Glob(filepath.Join(ref, dir, "*.xsd"))
		if err != nil || len(files) != 15 {
			t.Fatalf("%s: %d reference schemas (%v)", dir, len(files), err)
		}
		for _, f := range files {
			name := dir + "/" + filepath.Base(f)
			emb, err := schemaFS.ReadFile(name)
			if err != nil {
				t.Errorf("%s not embedded", name)
				continue
			}
			if !bytes.Equal(emb, testenv.ReadFile(t, f)) {
				t.Errorf("%s differs from the reference copy", name)
			}
		}
	}
}

func TestNewValidatorLoadsAll(t *testing.T) {
	v := newValidator(t)
	if got := len(v.Namespaces()); got != 29 {
		t.Fatalf("%d namespaces, want 28 messages + envelope", got)
	}
	fi, err := os.Stat(v.dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("temp folder mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestCloseRemovesFolder(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	dir := v.dir
	v.Close()
	v.Close() // twice is harmless
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder %s still there after Close (%v)", dir, err)
	}
	doc := testenv.ReadFile(t, filepath.Join(examplesDir, "iwmo/WMO301.xml"))
	if err := v.Validate(doc); !errors.Is(err, ErrClosed) {
		t.Errorf("Validate after Close: %v, want ErrClosed", err)
	}
}

func TestValidateExamples(t *testing.T) {
	v := newValidator(t)
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*", "*.xml"))
	if len(files) != 26 {
		t.Fatalf("%d examples, want 26 (14 iWmo + 12 iJw)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := v.Validate(testenv.ReadFile(t, f)); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestInvalidAsPublished(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		file    string
		mention []string // what the error must name
		secret  string   // a value that must not appear
	}{
		{"JW315.xml", []string{"ToewijzingEinddatum", "LDT_Datum"}, "2027-06-31"},
		{"JW318.xml", []string{"RetourCode", "not expected"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			err := v.Validate(testenv.ReadFile(t, filepath.Join(examplesDir, "ijw/invalid-as-published", tc.file)))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			var ie *InvalidError
			if !errors.As(err, &ie) || ie.Schema == "" {
				t.Fatalf("want *InvalidError with schema, got %#v", err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error leaks the value: %q", err)
			}
		})
	}
}

// mutate returns the WMO301 example with one replacement applied.
func mutate(t *testing.T, old, new string) []byte {
	t.Helper()
	doc := testenv.ReadFile(t, filepath.Join(examplesDir, "iwmo/WMO301.xml"))
	if !bytes.Contains(doc, []byte(old)) {
		t.Fatalf("example lacks %q", old)
	}
	return bytes.Replace(doc, []byte(old), []byte(new), 1)
}

func TestValidateRejectsAndRedacts(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name    string
		doc     []byte
		mention []string
		secret  string
	}{
		{"bsn pattern", mutate(t, "<wmo301:Bsn>999900006", "<wmo301:Bsn>12345"), []string{"Element 'Bsn'", "pattern"}, "12345"},
		{"geslacht enumeration", mutate(t, "<wmo301:Geslacht>1", "<wmo301:Geslacht>7"), []string{"Geslacht", "enumeration"}, ">7"},
		{"invalid date", mutate(t, "<wmo301:Toewijzingsdatum>2023-08-13", "<wmo301:Toewijzingsdatum>2023-02-31"), []string{"Toewijzingsdatum", "LDT_Datum"}, "2023-02-31"},
		{"date with time zone", mutate(t, "<wmo301:Toewijzingsdatum>2023-08-13", "<wmo301:Toewijzingsdatum>2023-08-13Z"), []string{"Toewijzingsdatum"}, "2023-08-13Z"},
		{"voorletters too long", mutate(t, "<iwmo:Voorletters>T<", "<iwmo:Voorletters>ABCDEFGH<"), []string{"Voorletters", "maxLength"}, "ABCDEFGH"},
		{"missing element", mutate(t, "<wmo301:Geslacht>1</wmo301:Geslacht>", ""), []string{"Naam", "not expected"}, ""},
		{"malformed", []byte(`<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"><wmo301:Header></wmo301:Bericht>`), []string{"malformed"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate(tc.doc)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error leaks the value %q: %q", tc.secret, err)
			}
		})
	}
}

func TestUnknownSchema(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name string
		doc  string
	}{
		{"no namespace", `<Bericht/>`},
		{"other namespace", `<x:Bericht xmlns:x="urn:example"/>`},
		{"older release", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_1/wmo301/schema"/>`},
		{"basisschema namespace", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"/>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.Validate([]byte(tc.doc)); !errors.Is(err, ErrUnknownSchema) {
				t.Fatalf("got %v, want ErrUnknownSchema", err)
			}
		})
	}
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema">&lol9;</wmo301:Bericht>`

func xxe(t *testing.T) string {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("TOPSECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE b [ <!ENTITY xxe SYSTEM "file://` + secret + `"> ]>
<wmo319:Bericht xmlns:wmo319="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema">&xxe;</wmo319:Bericht>`
}

func TestDoctypeRefused(t *testing.T) {
	v := newValidator(t)
	root := `<wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"/>`
	tests := []struct {
		name string
		doc  string
	}{
		{"billion laughs", billionLaughs},
		{"external entity", xxe(t)},
		{"external DTD", `<!DOCTYPE b SYSTEM "http://127.0.0.1:9/evil.dtd">` + root},
		{"after comment", `<!-- <x/> --><!DOCTYPE b>` + root},
		{"after processing instruction", `<?xml version="1.0"?><?pi x?>` + "\n" + `<!DOCTYPE b>` + root},
		{"after byte order mark", "\xef\xbb\xbf<!DOCTYPE b>" + root},
		{"lower case", `<!doctype b>` + root},
		{"envelope", `<!DOCTYPE e>` + `<Envelope xmlns="urn:sluis:envelope:1"/>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate([]byte(tc.doc))
			if !errors.Is(err, ErrDoctype) {
				t.Fatalf("Validate: %v, want ErrDoctype", err)
			}
			if err := v.ValidateEnvelope([]byte(tc.doc)); !errors.Is(err, ErrDoctype) {
				t.Fatalf("ValidateEnvelope: %v, want ErrDoctype", err)
			}
			if strings.Contains(fmt.Sprint(err), "TOPSECRET") {
				t.Fatal("external entity expanded")
			}
		})
	}
}

func TestNonUTF8Refused(t *testing.T) {
	v := newValidator(t)
	utf16 := func(s string) []byte {
		out := []byte{0xff, 0xfe}
		for _, r := range s {
			out = append(out, byte(r), 0)
		}
		return out
	}
	tests := []struct {
		name string
		doc  []byte
	}{
		{"utf-16 with doctype", utf16(`<!DOCTYPE b><b/>`)},
		{"declared latin-1", []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"/>`)},
		{"text before root", []byte(`hello<b/>`)},
		{"empty", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.Validate(tc.doc); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

const envelopeDoc = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="urn:sluis:envelope:1">
  <MessageID>01J9ZK3V6Q8F0000000000000</MessageID>
  <Standard>iWmo</Standard>
  <MessageType>WMO301</MessageType>
  <Sender>0384</Sender>
  <Recipient>42420001</Recipient>
  <Created>2026-11-23T01:00:00Z</Created>
  <Bericht><wmo301:Bericht xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"/></Bericht>
  <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>
</Envelope>`

func TestEnvelope(t *testing.T) {
	v := newValidator(t)
	if err := v.ValidateEnvelope([]byte(envelopeDoc)); err != nil {
		t.Fatalf("ValidateEnvelope: %v", err)
	}
	if err := v.Validate([]byte(envelopeDoc)); err != nil {
		t.Fatalf("Validate of an envelope: %v", err)
	}
	bad := strings.Replace(envelopeDoc, "<Sender>0384</Sender>", "<Sender>384</Sender>", 1)
	if err := v.ValidateEnvelope([]byte(bad)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Sender") {
		t.Fatalf("bad sender: %v", err)
	}
	msg := testenv.ReadFile(t, filepath.Join(examplesDir, "iwmo/WMO301.xml"))
	if err := v.ValidateEnvelope(msg); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("ValidateEnvelope of a message: %v, want ErrUnknownSchema", err)
	}
	if err := v.ValidateAs(msg, Namespace("iWmo", "301")); err != nil {
		t.Fatalf("ValidateAs: %v", err)
	}
	if err := v.ValidateAs(msg, Namespace("iJw", "301")); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("ValidateAs wrong ns: %v", err)
	}
}

// TestConcurrentValidate runs valid and invalid documents from several
// goroutines on one Validator (run with -race) and checks every result.
func TestConcurrentValidate(t *testing.T) {
	v := newValidator(t)
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*", "*.xml"))
	type item struct {
		doc   []byte
		valid bool
	}
	var items []item
	for _, f := range files {
		items = append(items, item{testenv.ReadFile(t, f), true})
	}
	items = append(items,
		item{mutate(t, "<wmo301:Bsn>999900006", "<wmo301:Bsn>12345"), false},
		item{[]byte(billionLaughs), false},
	)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				it := items[(g*7+i)%len(items)]
				err := v.Validate(it.doc)
				if it.valid != (err == nil) {
					errs <- fmt.Errorf("goroutine %d item %d: valid=%v err=%v", g, i, it.valid, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		secret string
	}{
		{"pattern",
			`Element '{http://www.istandaarden.nl/iwmo/3_2/wmo301/schema}Bsn': [facet 'pattern'] The value '12345' is not accepted by the pattern '[0-9]{9}'.`,
			`Element 'Bsn': [facet 'pattern'] The value (redacted) is not accepted by the pattern '[0-9]{9}'.`, "12345"},
		{"enumeration",
			`Element '{urn:x}Geslacht': [facet 'enumeration'] The value '7' is not an element of the set {'0', '1', '2'}.`,
			`Element 'Geslacht': [facet 'enumeration'] The value (redacted) is not an element of the set {'0', '1', '2'}.`, "'7'"},
		{"atomic type",
			`Element '{urn:x}Datum': '2027-06-31' is not a valid value of the atomic type '{urn:x}LDT_Datum'.`,
			`Element 'Datum': (redacted) is not a valid value of the atomic type 'LDT_Datum'.`, "2027"},
		{"value with quotes",
			`Element '{urn:x}Achternaam': [facet 'pattern'] The value 'O'Brien' is not accepted by the pattern 'x' is not accepted by the pattern '.+'.`,
			`Element 'Achternaam': [facet 'pattern'] The value (redacted) is not accepted by the pattern '.+'.`, "Brien"},
		{"length without value",
			`Element '{urn:x}Voorletters': [facet 'maxLength'] The value has a length of '9'; this exceeds the allowed maximum length of '6'.`,
			`Element 'Voorletters': [facet 'maxLength'] The value has a length of '9'; this exceeds the allowed maximum length of '6'.`, ""},
		{"unknown shape with quote",
			`Element '{urn:x}X': Duplicate key-sequence ['999900006'] in unique identity-constraint 'u'.`,
			`Element 'X': Duplicate key-sequence [ (details redacted)`, "999900006"},
		{"structure",
			`Element '{urn:x}Naam': This element is not expected. Expected is ( {urn:x}Geslacht ).`,
			`Element 'Naam': This element is not expected. Expected is ( Geslacht ).`, ""},
		{"attribute",
			`Element '{urn:x}X', attribute 'a': The value 'secret' is not accepted by the pattern 'p'.`,
			`Element 'X', attribute 'a': The value (redacted) is not accepted by the pattern 'p'.`, "secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact:\n got %q\nwant %q", got, tc.want)
			}
			if tc.secret != "" && strings.Contains(got, tc.secret) {
				t.Errorf("leaks %q", tc.secret)
			}
		})
	}
}

func FuzzCheckProlog(f *testing.F) {
	f.Add([]byte(billionLaughs))
	f.Add([]byte(envelopeDoc))
	f.Add([]byte("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?><!-- c --><a/>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := CheckProlog(doc)
		if err == nil && bytes.Contains(bytes.ToUpper(doc), []byte("<!DOCTYPE")) {
			// A DOCTYPE may only be "accepted" when it is not before the
			// root (inside a comment or after the root start).
			i := bytes.Index(bytes.ToUpper(doc), []byte("<!DOCTYPE"))
			pre := doc[:i]
			if !bytes.Contains(pre, []byte("<!--")) && !bytes.Contains(pre, []byte("<?")) && bytes.IndexFunc(pre, func(r rune) bool { return r == '<' }) < 0 {
				t.Fatalf("DOCTYPE at the start accepted: %q", doc)
			}
		}
	})
}

func BenchmarkValidateWMO301(b *testing.B) {
	v := newValidator(b)
	doc := testenv.ReadFile(b, filepath.Join(examplesDir, "iwmo/WMO301.xml"))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.Validate(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzValidate feeds arbitrary bytes through the prolog checks and libxml2;
// it must never crash, and a DOCTYPE-led document must never reach libxml2.
func FuzzValidate(f *testing.F) {
	v := newValidator(f)
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*", "*.xml"))
	for _, p := range files {
		f.Add(testenv.ReadFile(f, p))
	}
	f.Add([]byte(billionLaughs))
	f.Add([]byte(envelopeDoc))
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := v.Validate(doc)
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrDoctype) && !errors.Is(err, ErrUnknownSchema) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
