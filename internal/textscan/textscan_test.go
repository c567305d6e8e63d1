package textscan

import (
	"slices"
	"testing"

	"github.com/sluis-gateway/sluis/internal/calendar"
)

func TestWords(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"accents folded", "José Müller-Lüdenscheidt", []string{"jose", "muller", "ludenscheidt"}},
		{"punctuation splits", "de Wit, T.", []string{"de", "wit", "t"}},
		{"digits kept", "kamer 12b", []string{"kamer", "12b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Words(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("Words(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	if !IsParticle("van") || IsParticle("wit") {
		t.Fatal("particles")
	}
}

func TestDateForms(t *testing.T) {
	forms := DateForms(calendar.NewDate(2014, 2, 4))
	for _, want := range []string{"2014-02-04", "04-02-2014", "4-2-2014", "4/2/2014", "04.02.2014", "2014 02 04"} {
		if !slices.Contains(forms, want) {
			t.Errorf("missing %s in %v", want, forms)
		}
	}
}
