package retour

import (
	"strings"
	"testing"
)

func TestPeekSender(t *testing.T) {
	const open = `<?xml version="1.0" encoding="UTF-8"?><sluis:Envelope xmlns:sluis="urn:sluis:envelope:1"><sluis:MessageID>m</sluis:MessageID>`
	tests := []struct {
		name string
		doc  string
		want string // "" means an error
	}{
		{"sender found", open + `<sluis:Sender>42420001</sluis:Sender><sluis:Bericht/></sluis:Envelope>`, "42420001"},
		{"sender with blanks", open + `<sluis:Sender> 42420001 </sluis:Sender></sluis:Envelope>`, "42420001"},
		{"default namespace", `<Envelope xmlns="urn:sluis:envelope:1"><Sender>42420001</Sender></Envelope>`, "42420001"},
		{"no sender before the Bericht", open + `<sluis:Bericht><sluis:Sender>42420001</sluis:Sender></sluis:Bericht></sluis:Envelope>`, ""},
		{"sender in another namespace", open + `<x:Sender xmlns:x="urn:x">42420001</x:Sender></sluis:Envelope>`, ""},
		{"nested sender ignored", open + `<sluis:Other><sluis:Sender>42420001</sluis:Sender></sluis:Other></sluis:Envelope>`, ""},
		{"sender with children", open + `<sluis:Sender><b/>42420001</sluis:Sender></sluis:Envelope>`, ""},
		{"sender too long", open + `<sluis:Sender>` + strings.Repeat("1", 100) + `</sluis:Sender></sluis:Envelope>`, ""},
		{"wrong root", `<Envelope><Sender>42420001</Sender></Envelope>`, ""},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "42420001">]><sluis:Envelope xmlns:sluis="urn:sluis:envelope:1"><sluis:Sender>&e;</sluis:Sender></sluis:Envelope>`, ""},
		{"other charset", `<?xml version="1.0" encoding="ISO-8859-1"?><sluis:Envelope xmlns:sluis="urn:sluis:envelope:1"><sluis:Sender>42420001</sluis:Sender></sluis:Envelope>`, ""},
		{"too many elements before the sender", open + strings.Repeat(`<sluis:X/>`, 1000) + `<sluis:Sender>42420001</sluis:Sender></sluis:Envelope>`, ""},
		{"too deep after the sender", open + `<sluis:Sender>42420001</sluis:Sender>` + strings.Repeat(`<sluis:X>`, 100) + strings.Repeat(`</sluis:X>`, 100) + `</sluis:Envelope>`, ""},
		{"not XML", `42420001`, ""},
		{"empty", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := peekSender([]byte(tc.doc))
			if tc.want == "" {
				if err == nil {
					t.Fatalf("peekSender = %q, want an error", got)
				}
				if strings.Contains(err.Error(), "42420001") {
					t.Fatalf("error repeats document content: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("peekSender = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzPeekSender(f *testing.F) {
	f.Add([]byte(`<sluis:Envelope xmlns:sluis="urn:sluis:envelope:1"><sluis:Sender>42420001</sluis:Sender></sluis:Envelope>`))
	f.Add([]byte(`<!DOCTYPE x><x/>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := peekSender(doc)
		if err == nil && len(s) > maxSenderLen {
			t.Fatalf("sender of %d bytes", len(s))
		}
	})
}
