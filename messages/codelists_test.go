package messages_test

import (
	"encoding/xml"
	"io/fs"
	"strings"
	"testing"

	"github.com/sluis-gateway/sluis/messages"
	"github.com/sluis-gateway/sluis/xsd"
)

// TestCodeListsMatchXSD checks the generated code lists (codelists_gen.go)
// against the enumerations of the embedded basisschemas, so a schema update
// without `go generate ./messages` fails here.
func TestCodeListsMatchXSD(t *testing.T) {
	type enum struct {
		Value string `xml:"value,attr"`
		Doc   string `xml:"annotation>documentation"`
	}
	type simpleType struct {
		Name  string `xml:"name,attr"`
		Enums []enum `xml:"restriction>enumeration"`
	}
	type schema struct {
		Types []simpleType `xml:"simpleType"`
	}
	seen := 0
	for std, file := range map[messages.Standard]string{messages.IWmo: "iwmo/3.2/basisschema.xsd", messages.IJw: "ijw/3.2/basisschema.xsd"} {
		data, err := fs.ReadFile(xsd.Files(), file)
		if err != nil {
			t.Fatal(err)
		}
		var s schema
		if err := xml.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		for _, st := range s.Types {
			if len(st.Enums) == 0 {
				continue
			}
			seen++
			name := strings.TrimPrefix(st.Name, "LDT_")
			got := messages.CodeList(name, std)
			if len(got) != len(st.Enums) {
				t.Errorf("%s %s: %d codes, XSD has %d", std, name, len(got), len(st.Enums))
				continue
			}
			for i, e := range st.Enums {
				if got[i].Value != e.Value || got[i].Meaning != strings.Join(strings.Fields(e.Doc), " ") {
					t.Errorf("%s %s[%d]: %+v, XSD %q %q", std, name, i, got[i], e.Value, e.Doc)
				}
			}
		}
	}
	if seen != 46 || len(messages.CodeListNames()) != 23 {
		t.Errorf("%d enumerations in the XSDs, %d lists generated; want 46 and 23", seen, len(messages.CodeListNames()))
	}
}
