package messages_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
)

func TestMessageTypeAndCodes(t *testing.T) {
	tests := []struct {
		std          messages.Standard
		kind, typ, c string
	}{
		{messages.IWmo, "301", "WMO301", "414"},
		{messages.IJw, "301", "JW301", "436"},
		{messages.IWmo, "302", "WMO302", "415"},
		{messages.IJw, "320", "JW320", "489"},
		{messages.IWmo, "325", "WMO325", "485"},
		{messages.IJw, "325", "JW325", "491"},
		{messages.IWmo, "303", "", ""},
		{"iWlz", "301", "", ""},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s", tc.std, tc.kind), func(t *testing.T) {
			if got := messages.MessageType(tc.std, tc.kind); got != tc.typ {
				t.Errorf("MessageType = %q, want %q", got, tc.typ)
			}
			if got := messages.BerichtCode(tc.std, tc.kind); got != tc.c {
				t.Errorf("BerichtCode = %q, want %q", got, tc.c)
			}
			if tc.c != "" {
				std, kind, ok := messages.KindOfBerichtCode(tc.c)
				if !ok || std != tc.std || kind != tc.kind {
					t.Errorf("KindOfBerichtCode(%s) = %s %s %v", tc.c, std, kind, ok)
				}
			}
		})
	}
	for _, std := range []messages.Standard{messages.IWmo, messages.IJw} {
		for _, k := range messages.Kinds {
			m, err := messages.New(std, k)
			if err != nil || m.Kind() != k || m.Standard() != std || m.Head() == nil {
				t.Errorf("New(%s,%s) = %v, %v", std, k, m, err)
			}
		}
	}
}

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		name string
		f    func(string) bool
		in   string
		want bool
	}{
		{"bsn example client", messages.ValidBSN, "999900006", true},
		{"bsn example relation", messages.ValidBSN, "999900018", true},
		{"bsn textbook", messages.ValidBSN, "123456782", true},
		{"bsn last digit off", messages.ValidBSN, "123456781", false},
		{"bsn eight digits", messages.ValidBSN, "12345678", false},
		{"bsn ten digits", messages.ValidBSN, "1234567820", false},
		{"bsn letters", messages.ValidBSN, "12345678a", false},
		{"bsn zeros", messages.ValidBSN, "000000000", false},
		{"bsn empty", messages.ValidBSN, "", false},
		{"agb", messages.ValidAGB, "42420001", true},
		{"agb seven digits", messages.ValidAGB, "4242000", false},
		{"agb with letter", messages.ValidAGB, "4242000X", false},
		{"gemeente", messages.ValidGemeentecode, "0384", true},
		{"gemeente three digits", messages.ValidGemeentecode, "384", false},
		{"gemeente five digits", messages.ValidGemeentecode, "03840", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.in); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDateAndTime(t *testing.T) {
	dates := []struct {
		in      string
		ok      bool
		mention string
	}{
		{"2023-08-13", true, ""},
		{"2024-02-29", true, ""},
		{"2023-02-29", false, "existing"},
		{"2027-06-31", false, "existing"},
		{"2023-08-13Z", false, "RS032"},
		{"2023-08-13+01:00", false, "RS032"},
		{"2023-08-13-01:00", false, "RS032"},
		{"13-08-2023", false, "YYYY-MM-DD"},
		{"2023-8-13", false, "YYYY-MM-DD"},
		{"", false, "YYYY-MM-DD"},
	}
	for _, tc := range dates {
		t.Run("date "+tc.in, func(t *testing.T) {
			d, err := messages.ParseDate(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseDate(%q) = %v, %v", tc.in, d, err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if err == nil && d.String() != tc.in {
				t.Errorf("String() = %q", d)
			}
		})
	}
	times := []struct {
		in, out string
		ok      bool
	}{
		{"12:34:56", "12:34:56", true},
		{"12:34:56.5", "12:34:56.5", true},
		{"12:34:56Z", "", false},
		{"12:34:56+01:00", "", false},
		{"25:00:00", "", false},
		{"12:34", "", false},
	}
	for _, tc := range times {
		t.Run("time "+tc.in, func(t *testing.T) {
			tm, err := messages.ParseTime(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseTime(%q) = %v, %v", tc.in, tm, err)
			}
			if err == nil && tm.String() != tc.out {
				t.Errorf("String() = %q, want %q", tm, tc.out)
			}
		})
	}
	a, b := messages.NewDate(2026, 11, 23), messages.NewDate(2026, 12, 1)
	if !a.Before(b) || !b.After(a) || a.Compare(a) != 0 {
		t.Error("date comparison wrong")
	}
	if messages.DateOf(time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC)) != messages.NewDate(2026, 1, 2) {
		t.Error("DateOf wrong")
	}
}

func intp(i int) *int { return &i }

// toewijzing returns a valid 301 built in Go.
func toewijzing(std messages.Standard) *messages.Toewijzing {
	cat, code := messages.ProductCategorie("02"), "02A01"
	if std == messages.IJw {
		cat, code = "45", "45A01"
	}
	return &messages.Toewijzing{
		Std: std,
		Header: messages.Header{
			Afzender: "0384", Ontvanger: "42420001",
			BerichtIdentificatie: messages.BerichtIdentificatie{Identificatie: "T0001", Dagtekening: messages.NewDate(2026, 11, 20)},
		},
		Client: messages.ToewijzingClient{
			Bsn:           "999900006",
			Geboortedatum: messages.Geboortedatum{Datum: messages.NewDate(1990, 5, 17)},
			Geslacht:      "0",
			Naam: messages.VolledigeNaam{
				Geslachtsnaam: messages.Achternaam{Achternaam: "Testpersoon"},
				NaamGebruik:   "1",
			},
			Contactgegevens: []messages.Contact{{Soort: messages.AdresSoortCorrespondentie, Emailadres: "team@example.org",
				Telefoon: &messages.Telefoonnummers{Telefoon01: messages.Telefoon{Telefoonnummer: "0201234567", Landnummer: "0031"}}}},
			ToegewezenProducten: []messages.ToegewezenProduct{{
				ToewijzingNummer: 7,
				Product:          &messages.Product{Categorie: cat, Code: code},
				Toewijzingsdatum: messages.NewDate(2026, 11, 20),
				Toewijzingstijd:  messages.NewTime(9, 0, 0),
				Ingangsdatum:     messages.NewDate(2026, 12, 1),
				Einddatum:        messages.NewDate(2027, 11, 30),
				Omvang:           &messages.Omvang{Volume: 3, Eenheid: "04", Frequentie: messages.FrequentiePerWeek},
			}},
		},
	}
}

func TestBuildFromGoValues(t *testing.T) {
	v := newValidator(t)
	for _, std := range []messages.Standard{messages.IWmo, messages.IJw} {
		t.Run(string(std), func(t *testing.T) {
			m := toewijzing(std)
			out, err := messages.Build(m, messages.BuildOptions{Today: goldenToday})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if err := v.Validate(out); err != nil {
				t.Fatalf("XSD: %v\n%s", err, out)
			}
			xmllint(t, out, std, "301")
			if m.Header.BerichtCode != "" || m.Header.BerichtVersie != 0 {
				t.Error("Build modified its input")
			}
			back, err := messages.Parse(out)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := back.(*messages.Toewijzing)
			if got.Client.ToegewezenProducten[0].Toewijzingstijd != m.Client.ToegewezenProducten[0].Toewijzingstijd ||
				got.Header.BerichtCode != messages.BerichtCode(std, "301") || got.Client.Bsn != m.Client.Bsn {
				t.Errorf("parsed value differs: %+v", got)
			}
		})
	}
}

func TestBuildRules(t *testing.T) {
	tests := []struct {
		name   string
		std    messages.Standard
		change func(m *messages.Toewijzing)
		code   string
		path   string
	}{
		{"berichtcode of the other standard", messages.IWmo, func(m *messages.Toewijzing) { m.Header.BerichtCode = "436" }, "RS047", "Header/BerichtCode"},
		{"berichtsubversie 1", messages.IWmo, func(m *messages.Toewijzing) { m.Header.BerichtSubversie = 1 }, "CS015", "Header/BerichtSubversie"},
		{"afzender is an AGB code", messages.IWmo, func(m *messages.Toewijzing) { m.Header.Afzender = "42420001" }, "RS035", "Header/Afzender"},
		{"identificatie 13 characters", messages.IWmo, func(m *messages.Toewijzing) { m.Header.BerichtIdentificatie.Identificatie = "1234567890123" }, "RS017", "Header/BerichtIdentificatie/Identificatie"},
		{"identificatie blank", messages.IWmo, func(m *messages.Toewijzing) { m.Header.BerichtIdentificatie.Identificatie = "  " }, "RS033", "Header/BerichtIdentificatie/Identificatie"},
		{"dagtekening missing", messages.IWmo, func(m *messages.Toewijzing) { m.Header.BerichtIdentificatie.Dagtekening = messages.Date{} }, "TR135", "Header/BerichtIdentificatie/Dagtekening"},
		{"dagtekening tomorrow", messages.IWmo, func(m *messages.Toewijzing) {
			m.Header.BerichtIdentificatie.Dagtekening = messages.NewDate(2026, 11, 24)
		}, "TR135", "Header/BerichtIdentificatie/Dagtekening"},
		{"xsdversie not n.n.n", messages.IWmo, func(m *messages.Toewijzing) { m.Header.XsdVersie.BerichtXsdVersie = "1.0" }, "RS048", "Header/XsdVersie/BerichtXsdVersie"},
		{"bsn fails 11-proef", messages.IWmo, func(m *messages.Toewijzing) { m.Client.Bsn = "123456781" }, "CS002", "Client/Bsn"},
		{"ijw product category in iwmo", messages.IWmo, func(m *messages.Toewijzing) { m.Client.ToegewezenProducten[0].Product.Categorie = "45" }, "XSD", "Client/ToegewezenProducten/ToegewezenProduct[1]/Product/Categorie"},
		{"iwmo product category in ijw", messages.IJw, func(m *messages.Toewijzing) { m.Client.ToegewezenProducten[0].Product.Categorie = "01" }, "XSD", "Client/ToegewezenProducten/ToegewezenProduct[1]/Product/Categorie"},
		{"budget and omvang", messages.IWmo, func(m *messages.Toewijzing) { m.Client.ToegewezenProducten[0].Budget = intp(100) }, "CD077", "Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang"},
		{"stuks per dag", messages.IWmo, func(m *messages.Toewijzing) {
			m.Client.ToegewezenProducten[0].Omvang.Eenheid = "84"
			m.Client.ToegewezenProducten[0].Omvang.Frequentie = messages.FrequentiePerDag
		}, "CS338", "Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang/Frequentie"},
		{"tolk without taal", messages.IWmo, func(m *messages.Toewijzing) {
			m.Client.Communicatie = &messages.Communicatie{Vorm: messages.CommunicatieTolkTaal}
		}, "CD007", "Client/Communicatie/Taal"},
		{"voorletters with space", messages.IWmo, func(m *messages.Toewijzing) { m.Client.Naam.Voorletters = "A B" }, "RS045", "Client/Naam/Voorletters"},
		{"einddatum before ingangsdatum", messages.IWmo, func(m *messages.Toewijzing) {
			m.Client.ToegewezenProducten[0].Einddatum = messages.NewDate(2026, 11, 30)
		}, "CS003", "Client/ToegewezenProducten/ToegewezenProduct[1]/Einddatum"},
		{"ontvanger is a gemeentecode", messages.IJw, func(m *messages.Toewijzing) { m.Header.Ontvanger = "0363" }, "RS036", "Header/Ontvanger"},
		{"invalid date", messages.IWmo, func(m *messages.Toewijzing) {
			m.Client.ToegewezenProducten[0].Einddatum = messages.NewDate(2027, 6, 31)
		}, "XSD", "Client/ToegewezenProducten/ToegewezenProduct[1]/Einddatum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := toewijzing(tc.std)
			tc.change(m)
			_, err := messages.Build(m, messages.BuildOptions{Today: goldenToday})
			if !errors.Is(err, messages.ErrRule) {
				t.Fatalf("Build: %v, want ErrRule", err)
			}
			found := false
			for _, re := range messages.RuleErrors(err) {
				if re.Code == tc.code && re.Path == tc.path {
					found = true
				}
			}
			if !found {
				t.Fatalf("no %s at %s in %v", tc.code, tc.path, err)
			}
			if errors.Is(messages.Check(m, messages.BuildOptions{Today: goldenToday}), messages.ErrRule) != true {
				t.Error("Check disagrees with Build")
			}
		})
	}
}

func TestBuildOptionsAndInputs(t *testing.T) {
	m := toewijzing(messages.IWmo)
	if _, err := messages.Build(m, messages.BuildOptions{}); !errors.Is(err, messages.ErrOptions) {
		t.Errorf("no Today: %v, want ErrOptions", err)
	}
	if _, err := messages.Build(nil, messages.BuildOptions{Today: goldenToday}); !errors.Is(err, messages.ErrUnknownMessage) {
		t.Errorf("nil message: %v", err)
	}
	bad := toewijzing("iWlz")
	if _, err := messages.Build(bad, messages.BuildOptions{Today: goldenToday}); !errors.Is(err, messages.ErrUnknownMessage) {
		t.Errorf("unknown standard: %v", err)
	}
	// iJw-only elements are refused in iWmo.
	vot := &messages.VerzoekToewijzing{Std: messages.IWmo}
	vot.Client.GezagsdragerBekend = "1"
	_, err := messages.Build(vot, messages.BuildOptions{Today: goldenToday})
	if !slices.ContainsFunc(messages.RuleErrors(err), func(re *messages.RuleError) bool {
		return re.Path == "Client/GezagsdragerBekend"
	}) {
		t.Errorf("GezagsdragerBekend in iWmo: %v", err)
	}
}

// TestErrorsCarryNoPersonalData: neither Build nor Parse errors contain the
// values of the elements they complain about.
func TestErrorsCarryNoPersonalData(t *testing.T) {
	m := toewijzing(messages.IWmo)
	m.Client.Bsn = "123456781"
	m.Client.Naam.Voorletters = "Q.Z"
	m.Client.ToegewezenProducten[0].Einddatum = messages.NewDate(1977, 2, 30)
	_, err := messages.Build(m, messages.BuildOptions{Today: goldenToday})
	if err == nil {
		t.Fatal("Build accepted")
	}
	for _, secret := range []string{"123456781", "Q.Z", "1977"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Build error leaks %q: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), "Client/Bsn: fails the 11-proef (CS002)") {
		t.Errorf("Build error does not name the BSN rule: %v", err)
	}
	doc := testenv.ReadFile(t, filepath.Join(goldenDir, "wmo301.good.xml"))
	for _, tc := range []struct{ old, new, secret string }{
		{"<iwmo:Datum>1967-08-13<", "<iwmo:Datum>1967-02-30<", "1967"},
		{"<wmo301:Toewijzingstijd>10:15:00<", "<wmo301:Toewijzingstijd>1O:15:00<", "1O:15"},
		{"<wmo301:ToewijzingNummer>1001<", "<wmo301:ToewijzingNummer>1OO1<", "1OO1"},
		{"<iwmo:Achternaam>Testpersoon</iwmo:Achternaam>", "<iwmo:Achternaam>Testpersoon</iwmo:Achternaam><iwmo:Geheim>Jansen</iwmo:Geheim>", "Jansen"},
		{"<iwmo:Huisnummer>12<", "<iwmo:Huisnummer>12a<", "12a"},
		{"<wmo301:Bsn>999900006</wmo301:Bsn>", "<wmo301:Bsn>999900006</wmo301:Bssn>", "999900006"},
	} {
		bad := strings.Replace(string(doc), tc.old, tc.new, 1)
		_, err := messages.Parse([]byte(bad))
		if !errors.Is(err, messages.ErrMalformed) {
			t.Errorf("Parse(%s): %v, want ErrMalformed", tc.new, err)
			continue
		}
		if strings.Contains(err.Error(), tc.secret) {
			t.Errorf("Parse error leaks %q: %v", tc.secret, err)
		}
	}
}

const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<wmo319:Bericht xmlns:wmo319="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema"><wmo319:Antwoord><wmo319:ReferentieAanbieder>&lol4;</wmo319:ReferentieAanbieder></wmo319:Antwoord></wmo319:Bericht>`

func TestParseRefuses(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("TOPSECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	xxe := `<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file://` + secret + `">]>` +
		`<wmo319:Bericht xmlns:wmo319="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema"><wmo319:Antwoord><wmo319:ReferentieAanbieder>&x;</wmo319:ReferentieAanbieder></wmo319:Antwoord></wmo319:Bericht>`
	undeclared := `<wmo319:Bericht xmlns:wmo319="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema"><wmo319:Antwoord><wmo319:ReferentieAanbieder>&x;</wmo319:ReferentieAanbieder></wmo319:Antwoord></wmo319:Bericht>`
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"billion laughs", bomb, messages.ErrDoctype},
		{"external entity", xxe, messages.ErrDoctype},
		{"doctype after comment", "<!-- x --><!DOCTYPE b>" + undeclared, messages.ErrDoctype},
		{"undeclared entity", undeclared, messages.ErrMalformed},
		{"unknown namespace", `<x:Bericht xmlns:x="urn:x"/>`, messages.ErrUnknownMessage},
		{"older release", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_1/wmo301/schema"/>`, messages.ErrUnknownMessage},
		{"wrong root name", `<w:Root xmlns:w="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"/>`, messages.ErrMalformed},
		{"not xml", `hello`, messages.ErrMalformed},
		{"truncated", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"><w:Header>`, messages.ErrMalformed},
		{"element in wrong namespace", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema" xmlns:i="http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"><i:Header/></w:Bericht>`, messages.ErrMalformed},
		{"ijw element in iwmo", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema"><w:Antwoord><w:Woonplaatsbeginsel/></w:Antwoord></w:Bericht>`, messages.ErrMalformed},
		{"repeated single element", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema"><w:Antwoord/><w:Antwoord/></w:Bericht>`, messages.ErrMalformed},
		{"unexpected attribute", `<w:Bericht xmlns:w="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema"><w:Antwoord a="1"/></w:Bericht>`, messages.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := messages.Parse([]byte(tc.doc))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if strings.Contains(fmt.Sprint(err), "TOPSECRET") {
				t.Fatal("entity expanded")
			}
		})
	}
}

func TestCodeLists(t *testing.T) {
	tests := []struct {
		list, code string
		std        messages.Standard
		meaning    string
		ok         bool
	}{
		{"Geslacht", "2", messages.IWmo, "Vrouwelijk", true},
		{"ProductCategorie", "01", messages.IWmo, "Hulp bij het huishouden", true},
		{"ProductCategorie", "01", messages.IJw, "", false},
		{"ProductCategorie", "45", messages.IJw, "", true},
		{"RetourCode", "0001", messages.IJw, "Bericht is afgekeurd om technische redenen.", true},
		{"RetourCode", "9332", messages.IWmo, "Toewijzing heeft geen uniek nummer binnen wettelijk domein.", true},
		{"RedenBeeindiging", "19", messages.IWmo, "", true},
		{"RedenBeeindiging", "19", messages.IJw, "", false},
		{"Eenheid", "14", messages.IWmo, "", true},
		{"Frequentie", "3", messages.IWmo, "", false},
		{"NaamGebruik", "6", messages.IJw, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.list+" "+tc.code+" "+string(tc.std), func(t *testing.T) {
			if got := messages.InCodeList(tc.list, tc.std, tc.code); got != tc.ok {
				t.Fatalf("InCodeList = %v, want %v", got, tc.ok)
			}
			if tc.meaning == "" {
				return
			}
			var got string
			for _, c := range messages.CodeList(tc.list, tc.std) {
				if c.Value == tc.code {
					got = c.Meaning
				}
			}
			if !strings.EqualFold(got, tc.meaning) {
				t.Errorf("meaning %q, want %q", got, tc.meaning)
			}
		})
	}
	if m, ok := messages.RetourCode("8848").Meaning(messages.IWmo); !ok || !strings.Contains(m, "Dagtekening") {
		t.Errorf("RetourCode 8848 meaning %q %v", m, ok)
	}
	if len(messages.CodeList("RetourCode", messages.IWmo)) != 59 {
		t.Errorf("WJ001 has %d codes, want 59", len(messages.CodeList("RetourCode", messages.IWmo)))
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*", "*.xml"))
	more, _ := filepath.Glob(filepath.Join(goldenDir, "*.xml"))
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(bomb))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := messages.Parse(doc)
		if err != nil {
			return
		}
		// Whatever parses must be readable and buildable without panics.
		_, _ = messages.ReadRetour(m)
		_ = messages.Check(m, messages.BuildOptions{Today: goldenToday})
		_, _ = messages.Build(m, messages.BuildOptions{Today: goldenToday})
	})
}

// TestConcurrentUse parses and builds from several goroutines (run with
// -race): the package keeps only a read-mostly field cache.
func TestConcurrentUse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*", "*.xml"))
	docs := make([][]byte, len(files))
	for i, f := range files {
		docs[i] = testenv.ReadFile(t, f)
	}
	errs := make(chan error, 8)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 30; i++ {
				doc := docs[(g+i)%len(docs)]
				m, err := messages.Parse(doc)
				if err != nil {
					errs <- err
					return
				}
				if _, err := messages.Marshal(m); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestParseAcceptsBOM(t *testing.T) {
	doc := append([]byte("\xef\xbb\xbf"), testenv.ReadFile(t, filepath.Join(goldenDir, "wmo319.good.xml"))...)
	if _, err := messages.Parse(doc); err != nil {
		t.Fatal(err)
	}
}
