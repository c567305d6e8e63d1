// Package xsd holds the official iWmo 3.2 and iJw 3.2 message schemas and
// the sluis envelope schema, embedded in the binary, and a Validator that
// checks documents against them with libxml2 (via go-xsd-validate).
//
// Provenance of the schemas: README.md in this folder; SHA256SUMS lists the
// checksum of every embedded file and a test keeps the two in step.
//
// Safety: a document carrying a DOCTYPE is refused before libxml2 sees it
// (no DTD, so no entity expansion and no external entity loading), only
// UTF-8 is accepted, libxml2's XML_PARSE_HUGE is never set, and no schema
// is ever fetched over the network (all imports resolve to the private copy
// on disk). Errors returned by Validate never contain element values: the
// values libxml2 quotes in its messages are redacted.
package xsd

import (
	"bytes"
	"embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/sluis-gateway/sluis/xsd/prolog"
	xsdvalidate "github.com/terminalstatic/go-xsd-validate"
)

//go:embed iwmo/3.2/*.xsd ijw/3.2/*.xsd envelope/sluis-envelope-1.xsd
var schemaFS embed.FS

// EnvelopeNamespace is the target namespace of the sluis envelope schema.
const EnvelopeNamespace = "urn:sluis:envelope:1"

// MaxDocumentSize is the largest document Validate accepts (the ISD-keten's
// payload limit is 25 MB).
const MaxDocumentSize = 25 << 20

// Kinds lists the 14 message kinds of iWmo 3.2 and iJw 3.2, in order.
var Kinds = []string{"301", "302", "305", "306", "307", "308", "315", "316", "317", "318", "319", "320", "323", "325"}

// Named errors. Callers test them with errors.Is.
var (
	// ErrDoctype: the document has a DOCTYPE declaration; it is refused
	// unparsed (protection against entity expansion and external entities).
	ErrDoctype = prolog.ErrDoctype
	// ErrUnknownSchema: the root element's namespace is not one of the 28
	// iWmo/iJw 3.2 message namespaces nor the envelope namespace (or, for
	// ValidateEnvelope, not the envelope namespace).
	ErrUnknownSchema = errors.New("xsd: no schema for root element namespace")
	// ErrInvalid: the document is not well-formed, not UTF-8, or does not
	// validate against its schema. The wrapping *InvalidError lists the
	// problems (element names and facets, never values).
	ErrInvalid = errors.New("xsd: document invalid")
	// ErrClosed: the Validator was closed.
	ErrClosed = errors.New("xsd: validator closed")
)

// InvalidError describes why a document did not validate. It wraps
// ErrInvalid. Problems never contain element values.
type InvalidError struct {
	// Schema is the schema file used (e.g. "iwmo/3.2/WMO301.xsd"), empty
	// when the document could not be parsed at all.
	Schema string
	// Problems are libxml2's messages with values redacted, each prefixed
	// with its line number when known.
	Problems []string
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	if e.Schema != "" {
		b.WriteString(" (")
		b.WriteString(e.Schema)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(strings.Join(e.Problems, "; "))
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Namespace returns the target namespace of the message schema for std
// ("iWmo" or "iJw") and kind ("301"), e.g.
// http://www.istandaarden.nl/iwmo/3_2/wmo301/schema.
func Namespace(std, kind string) string {
	switch std {
	case "iWmo":
		return "http://www.istandaarden.nl/iwmo/3_2/wmo" + kind + "/schema"
	case "iJw":
		return "http://www.istandaarden.nl/ijw/3_2/jw" + kind + "/schema"
	}
	return ""
}

// BasisNamespace returns the basisschema namespace of std.
func BasisNamespace(std string) string {
	switch std {
	case "iWmo":
		return "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
	case "iJw":
		return "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"
	}
	return ""
}

// Files returns the embedded schema files (read-only), rooted so that
// "iwmo/3.2/WMO301.xsd" and "envelope/sluis-envelope-1.xsd" resolve.
func Files() fs.FS { return schemaFS }

type schema struct {
	file    string
	handler *xsdvalidate.XsdHandler
}

// Validator validates iWmo/iJw 3.2 messages and sluis envelopes. It is safe
// for concurrent use: compiled libxml2 schemas are shared read-only and every
// validation gets its own parser and validation context (libxml2's rule for
// multithreaded use; go-xsd-validate serialises only schema loading). No
// global mutex is held while validating. Close must not race with the last
// Validate calls' start; a Validate after Close returns ErrClosed.
type Validator struct {
	mu      sync.RWMutex // guards closed and the handlers' lifetime
	closed  bool
	dir     string
	byNS    map[string]*schema
	envelop *schema
}

var initOnce sync.Once

func initLibxml2() {
	initOnce.Do(func() {
		// Init reports "already initialized" when another package did it
		// first; libxml2 is usable either way. xsdvalidate.Cleanup is never
		// called: it is process-global.
		_ = xsdvalidate.Init()
	})
}

// NewValidator writes the embedded schemas to a private temporary folder
// (mode 0700; libxml2 resolves the basisschema.xsd import from disk), loads
// the 28 message schemas and the envelope schema once, and returns a
// Validator. Close it to free the schemas and remove the folder.
func NewValidator() (*Validator, error) {
	initLibxml2()
	dir, err := os.MkdirTemp("", "sluis-xsd-")
	if err != nil {
		return nil, fmt.Errorf("xsd: temp folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("xsd: temp folder: %w", err)
	}
	v := &Validator{dir: dir, byNS: make(map[string]*schema, 28)}
	if err := v.load(); err != nil {
		v.free()
		return nil, err
	}
	return v, nil
}

func (v *Validator) load() error {
	err := fs.WalkDir(schemaFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := schemaFS.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(v.dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		return fmt.Errorf("xsd: write schemas: %w", err)
	}
	for _, std := range []string{"iWmo", "iJw"} {
		for _, kind := range Kinds {
			file := schemaFile(std, kind)
			s, err := v.loadOne(file)
			if err != nil {
				return err
			}
			v.byNS[Namespace(std, kind)] = s
		}
	}
	s, err := v.loadOne("envelope/sluis-envelope-1.xsd")
	if err != nil {
		return err
	}
	v.envelop = s
	v.byNS[EnvelopeNamespace] = s
	return nil
}

func schemaFile(std, kind string) string {
	if std == "iWmo" {
		return "iwmo/3.2/WMO" + kind + ".xsd"
	}
	return "ijw/3.2/JW" + kind + ".xsd"
}

func (v *Validator) loadOne(file string) (*schema, error) {
	h, err := xsdvalidate.NewXsdHandlerUrl(filepath.Join(v.dir, filepath.FromSlash(file)), xsdvalidate.ParsErrDefault)
	if err != nil {
		return nil, fmt.Errorf("xsd: load %s: %v", file, err)
	}
	return &schema{file: file, handler: h}, nil
}

func (v *Validator) free() {
	seen := map[*schema]bool{}
	for _, s := range v.byNS {
		if !seen[s] && s.handler != nil {
			s.handler.Free()
		}
		seen[s] = true
	}
	if v.envelop != nil && !seen[v.envelop] && v.envelop.handler != nil {
		v.envelop.handler.Free()
	}
	v.byNS, v.envelop = nil, nil
	if v.dir != "" {
		_ = os.RemoveAll(v.dir)
	}
}

// Close frees the compiled schemas and removes the temporary folder. It
// waits for validations in progress. Calling it twice is harmless.
func (v *Validator) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.closed = true
	v.free()
}

// Namespaces returns the root namespaces Validate knows, sorted.
func (v *Validator) Namespaces() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.byNS))
	for ns := range v.byNS {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// Validate checks doc against the schema picked by its root element's
// namespace: one of the 28 iWmo/iJw 3.2 message namespaces, or the envelope
// namespace. Errors: ErrDoctype, ErrUnknownSchema, ErrInvalid (as
// *InvalidError), ErrClosed.
func (v *Validator) Validate(doc []byte) error {
	ns, err := RootNamespace(doc)
	if err != nil {
		return err
	}
	return v.validateNS(doc, ns, "")
}

// ValidateEnvelope checks doc against the sluis envelope schema only; a root
// in another namespace gives ErrUnknownSchema. The Bericht inside is not
// checked here (the envelope schema skips it): validate it separately.
func (v *Validator) ValidateEnvelope(doc []byte) error {
	ns, err := RootNamespace(doc)
	if err != nil {
		return err
	}
	return v.validateNS(doc, ns, EnvelopeNamespace)
}

// ValidateAs checks doc against the schema of namespace ns, refusing a root
// element in any other namespace with ErrUnknownSchema.
func (v *Validator) ValidateAs(doc []byte, ns string) error {
	root, err := RootNamespace(doc)
	if err != nil {
		return err
	}
	return v.validateNS(doc, root, ns)
}

func (v *Validator) validateNS(doc []byte, ns, want string) error {
	if want != "" && ns != want {
		return fmt.Errorf("%w: root element not in %s", ErrUnknownSchema, want)
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return ErrClosed
	}
	s, ok := v.byNS[ns]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownSchema, ns)
	}
	err := s.handler.ValidateMem(doc, xsdvalidate.ParsErrDefault)
	if err == nil {
		return nil
	}
	return toInvalid(s.file, err)
}

func toInvalid(file string, err error) error {
	var ve xsdvalidate.ValidationError
	if errors.As(err, &ve) {
		ie := &InvalidError{Schema: file}
		for _, e := range ve.Errors {
			msg := Redact(strings.TrimSpace(e.Message))
			if e.Line > 0 {
				msg = fmt.Sprintf("line %d: %s", e.Line, msg)
			}
			ie.Problems = append(ie.Problems, msg)
		}
		if len(ie.Problems) == 0 {
			ie.Problems = []string{"validation failed"}
		}
		return ie
	}
	var pe xsdvalidate.XmlParserError
	if errors.As(err, &pe) {
		// With ParsErrDefault libxml2's parser text is not collected; the
		// library says only "Malformed xml document".
		return &InvalidError{Schema: file, Problems: []string{"malformed XML"}}
	}
	return &InvalidError{Schema: file, Problems: []string{"libxml2: " + Redact(err.Error())}}
}

// RootNamespace returns the namespace URI of doc's root element after the
// prolog checks: a DOCTYPE anywhere before the root gives ErrDoctype; a
// document that is not UTF-8 (UTF-16/32 byte order, another declared
// encoding) or has no root element gives ErrInvalid.
func RootNamespace(doc []byte) (string, error) {
	if len(doc) > MaxDocumentSize {
		return "", &InvalidError{Problems: []string{fmt.Sprintf("document larger than %d bytes", MaxDocumentSize)}}
	}
	if err := CheckProlog(doc); err != nil {
		return "", err
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", &InvalidError{Problems: []string{"no root element"}}
		}
		if err != nil {
			return "", &InvalidError{Problems: []string{"malformed XML before the root element"}}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Space, nil
		case xml.Directive:
			return "", ErrDoctype
		}
	}
}

// CheckProlog scans the bytes before the root element (see package
// prolog): a DOCTYPE gives ErrDoctype; input that is not plain UTF-8 XML
// gives ErrInvalid.
func CheckProlog(doc []byte) error {
	err := prolog.Check(doc)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, prolog.ErrDoctype):
		return ErrDoctype
	default:
		return &InvalidError{Problems: []string{err.Error()}}
	}
}
