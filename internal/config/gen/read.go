package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Setting is one SLUIS_* variable as the source defines it.
type Setting struct {
	Name, Field, Default, Type, Doc, Section string
}

// Section is a group of settings and its introduction.
type Section struct {
	Name, Intro string
}

// Reference is what Read finds: the sections in order and their settings.
type Reference struct {
	Sections []Section
	Settings []Setting
}

// ErrNoConfig is returned when the folder has no Config struct.
var ErrNoConfig = errors.New("no type Config struct")

const marker = "Section: "

// Read parses the package's non-test, non-generated Go files in dir and
// walks the Config struct.
func Read(dir string) (Reference, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return Reference{}, err
	}
	fset := token.NewFileSet()
	structs := map[string]*ast.TypeSpec{}
	docs := map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_gen.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return Reference{}, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return Reference{}, err
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.StructType); ok {
					structs[ts.Name.Name] = ts
					doc := ts.Doc
					if doc == nil {
						doc = gd.Doc
					}
					docs[ts.Name.Name] = text(doc)
				}
			}
		}
	}
	if structs["Config"] == nil {
		return Reference{}, fmt.Errorf("%w in %s", ErrNoConfig, dir)
	}
	w := walker{fset: fset, structs: structs, docs: docs, markers: markers(parsed)}
	if err := w.walk("Config", ""); err != nil {
		return Reference{}, err
	}
	envNames(w.ref.Settings)
	return w.ref, nil
}

type mark struct {
	pos         token.Pos
	name, intro string
}

// markers finds the "Section: NAME" comments of all files, by position.
func markers(files []*ast.File) []mark {
	var ms []mark
	for _, f := range files {
		for _, cg := range f.Comments {
			var name string
			var intro []string
			for _, line := range strings.Split(cg.Text(), "\n") {
				if n, ok := strings.CutPrefix(line, marker); ok && name == "" {
					name = strings.TrimSpace(n)
				} else if name != "" {
					intro = append(intro, line)
				}
			}
			if name != "" {
				ms = append(ms, mark{pos: cg.Pos(), name: name, intro: paragraph(strings.Join(intro, " "))})
			}
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].pos < ms[j].pos })
	return ms
}

type walker struct {
	fset    *token.FileSet
	structs map[string]*ast.TypeSpec
	docs    map[string]string
	markers []mark
	ref     Reference
	seen    map[string]bool
}

func (w *walker) section(name, intro string) {
	for _, s := range w.ref.Sections {
		if s.Name == name {
			return
		}
	}
	w.ref.Sections = append(w.ref.Sections, Section{Name: name, Intro: intro})
}

func (w *walker) walk(typ, section string) error {
	st := w.structs[typ].Type.(*ast.StructType)
	var prev *ast.Field
	for _, f := range st.Fields.List {
		doc := text(f.Doc)
		if doc == "" && prev != nil && w.fset.Position(prev.End()).Line+1 == w.fset.Position(f.Pos()).Line {
			doc = text(prev.Doc) // "A and B are ...": B, on the next line, shares A's doc
		}
		prev = f
		for _, m := range w.markers {
			if m.pos > st.Pos() && m.pos < f.Pos() && m.pos > prevEnd(st, f) {
				section = m.name
				w.section(m.name, m.intro)
			}
		}
		if len(f.Names) == 0 { // embedded section
			id, ok := f.Type.(*ast.Ident)
			if !ok || w.structs[id.Name] == nil {
				return fmt.Errorf("embedded %s is not a struct of the package", expr(f.Type))
			}
			w.section(id.Name, w.docs[id.Name])
			if err := w.walk(id.Name, id.Name); err != nil {
				return err
			}
			continue
		}
		if f.Tag == nil {
			continue
		}
		tagText, err := strconv.Unquote(f.Tag.Value)
		if err != nil {
			return err
		}
		tag := reflect.StructTag(tagText)
		name, ok := tag.Lookup("env")
		if !ok {
			continue
		}
		if section == "" {
			section = "General"
			w.section(section, "")
		}
		for _, n := range f.Names {
			w.ref.Settings = append(w.ref.Settings, Setting{
				Name: strings.Split(name, ",")[0], Field: n.Name, Default: tag.Get("envDefault"),
				Type: typeName(f.Type), Doc: doc, Section: section,
			})
		}
	}
	return nil
}

// envNames writes the docs for operators: a Go field name in a doc becomes
// its variable ("AMQPURL is ..." reads "SLUIS_AMQP_URL is ...").
func envNames(settings []Setting) {
	for _, s := range settings {
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(s.Field) + `\b`)
		for i := range settings {
			settings[i].Doc = re.ReplaceAllLiteralString(settings[i].Doc, s.Name)
		}
	}
}

// prevEnd is where the field before f ends (the struct's brace for the first).
func prevEnd(st *ast.StructType, f *ast.Field) token.Pos {
	end := st.Fields.Opening
	for _, g := range st.Fields.List {
		if g == f {
			break
		}
		end = g.End()
	}
	return end
}

// text is a doc comment as one paragraph, without marker lines.
func text(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var lines []string
	for _, line := range strings.Split(cg.Text(), "\n") {
		if !strings.HasPrefix(line, marker) {
			lines = append(lines, line)
		}
	}
	return paragraph(strings.Join(lines, " "))
}

func paragraph(s string) string { return strings.Join(strings.Fields(s), " ") }

func expr(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return expr(e.X) + "." + e.Sel.Name
	case *ast.ArrayType:
		return "[]" + expr(e.Elt)
	}
	return fmt.Sprintf("%T", e)
}

// typeName is the type as an operator writes the value.
func typeName(e ast.Expr) string {
	switch t := expr(e); t {
	case "time.Duration":
		return "duration"
	case "time.Time":
		return "time (RFC 3339)"
	case "int":
		return "integer"
	case "bool":
		return "boolean"
	default:
		return t
	}
}
