package textscan

import "testing"

func TestTextIdentifies(t *testing.T) {
	p := NewPerson("2014-02-14", "999900006", "van der Wit", "", "José")
	cases := []struct {
		name, text string
		names      bool
		birth      bool
		bsn        bool
	}{
		{"surname, accents and case folded", "gesprek met WIT", true, false, false},
		{"given name without its accent", "jose belde", true, false, false},
		{"particle alone", "van de gemeente", false, false, false},
		{"birth date day first with dots", "geboren 14.02.2014", false, true, false},
		{"birth date without leading zeros", "14/2/2014", false, true, false},
		{"BSN with separators", "bsn 9999-000.06", false, false, true},
		{"another number", "kamer 999900007", false, false, false},
		{"nothing", "een gewone zin", false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			txt := Read(tc.text)
			if got := txt.Names(p); got != tc.names {
				t.Errorf("Names = %v, want %v", got, tc.names)
			}
			if got := txt.HasBirthDate(p); got != tc.birth {
				t.Errorf("HasBirthDate = %v, want %v", got, tc.birth)
			}
			if got := txt.HasBSN(p); got != tc.bsn {
				t.Errorf("HasBSN = %v, want %v", got, tc.bsn)
			}
			if got, want := txt.Identifies(p), tc.names || tc.birth || tc.bsn; got != want {
				t.Errorf("Identifies = %v, want %v", got, want)
			}
		})
	}
	if Read("bsn 999900006").HasBSN(NewPerson("", "", "Wit")) {
		t.Error("HasBSN matched a person without a BSN")
	}
}
