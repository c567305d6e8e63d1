package prolog

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"plain", `<a/>`, nil},
		{"declaration, comment, pi", "\xef\xbb\xbf<?xml version=\"1.0\" encoding='utf-8'?>\n<!-- <!DOCTYPE in a comment --><?pi?><a/>", nil},
		{"doctype", `<!DOCTYPE a><a/>`, ErrDoctype},
		{"doctype lower case", `<!doctype a><a/>`, ErrDoctype},
		{"doctype after declaration", `<?xml version="1.0"?>` + "\n" + `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, ErrDoctype},
		{"entity declaration alone", `<!ENTITY x "y"><a/>`, ErrDoctype},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, ErrNotPlainXML},
		{"utf-16 bytes", "\xff\xfe<\x00a\x00/\x00>\x00", ErrNotPlainXML},
		{"text first", `x<a/>`, ErrNotPlainXML},
		{"empty", ``, ErrNotPlainXML},
		{"unterminated comment", `<!-- <a/>`, ErrNotPlainXML},
		{"unterminated pi", `<?xml `, ErrNotPlainXML},
		{"short pi", `<?>`, ErrNotPlainXML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.doc))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
