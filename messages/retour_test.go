package messages_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/sluis-gateway/sluis/internal/testenv"
	"github.com/sluis-gateway/sluis/messages"
)

func retourHeader(codes ...messages.RetourCode) messages.Header {
	return messages.Header{
		Afzender: "0384", Ontvanger: "42420001",
		BerichtIdentificatie: messages.BerichtIdentificatie{Identificatie: "T0001", Dagtekening: messages.NewDate(2026, 11, 20)},
		IdentificatieRetour:  "R0001",
		DagtekeningRetour:    messages.NewDate(2026, 11, 21),
		XsdVersieRetour:      &messages.XsdVersie{BasisschemaXsdVersie: "1.0.0", BerichtXsdVersie: "1.0.0"},
		RetourCodes:          codes,
	}
}

func TestReadRetour(t *testing.T) {
	v := newValidator(t)
	// A 302 answering toewijzing(): client and product copied with codes.
	rejected := func(std messages.Standard) messages.Message {
		c := toewijzing(std).Client
		c.RetourCodes = []messages.RetourCode{"0200"}
		c.Contactgegevens[0].RetourCodes = []messages.RetourCode{"0200"}
		c.ToegewezenProducten[0].RetourCodes = []messages.RetourCode{"9332"}
		return &messages.ToewijzingRetour{Std: std, Header: retourHeader("0200"), Client: &c}
	}
	tests := []struct {
		name     string
		msg      func() messages.Message
		outcome  messages.Outcome
		records  int
		rejected string // path of a rejected record
	}{
		{"302 header only: accepted", func() messages.Message {
			return &messages.ToewijzingRetour{Std: messages.IWmo, Header: retourHeader()}
		}, messages.Accepted, 0, ""},
		{"302 technical rejection", func() messages.Message {
			h := retourHeader(messages.RetourTechnisch)
			h.XsltVersie = "1.0.0"
			return &messages.ToewijzingRetour{Std: messages.IJw, Header: h}
		}, messages.TechnicallyRejected, 0, ""},
		{"302 product rejected 9332", func() messages.Message { return rejected(messages.IWmo) }, messages.Rejected, 3,
			"Client/ToegewezenProducten/ToegewezenProduct[1]"},
		{"320 header only: accepted", func() messages.Message {
			return &messages.AntwoordRetour{Std: messages.IJw, Header: retourHeader()}
		}, messages.Accepted, 0, ""},
		{"320 antwoord rejected 9365", func() messages.Message {
			return &messages.AntwoordRetour{Std: messages.IJw, Header: retourHeader("0200"), Antwoord: &messages.Antwoord{
				ReferentieAanbieder: "VOT-1", VerzoekAntwoord: "2",
				Woonplaatsbeginsel: &messages.Woonplaatsbeginsel{Gemeente: "0363", RetourCodes: []messages.RetourCode{"0200"}},
				RetourCodes:        []messages.RetourCode{"9365"},
			}}
		}, messages.Rejected, 2, "Antwoord"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.msg()
			// Through XML and the XSD, as a received retour would come.
			doc, err := messages.Build(m, messages.BuildOptions{Today: goldenToday})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if err := v.Validate(doc); err != nil {
				t.Fatalf("XSD: %v\n%s", err, doc)
			}
			parsed, err := messages.Parse(doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			res, err := messages.ReadRetour(parsed)
			if err != nil {
				t.Fatalf("ReadRetour: %v", err)
			}
			if res.Outcome != tc.outcome || len(res.Records) != tc.records {
				t.Fatalf("outcome %s with %d records, want %s with %d: %+v", res.Outcome, len(res.Records), tc.outcome, tc.records, res)
			}
			if res.Identificatie != "T0001" || res.IdentificatieRetour != "R0001" {
				t.Errorf("identifications %q %q", res.Identificatie, res.IdentificatieRetour)
			}
			if tc.rejected != "" {
				found := false
				for _, r := range res.Records {
					if r.Path == tc.rejected && r.Outcome == messages.Rejected && len(r.Codes) > 0 && r.Codes[0].Meaning != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("no rejected record with meanings at %s: %+v", tc.rejected, res.Records)
				}
			}
		})
	}
}

func TestReadRetourExamples(t *testing.T) {
	tests := []struct {
		file     string
		answers  string
		outcome  messages.Outcome
		rejected string
		code     messages.RetourCode
	}{
		{"iwmo/WMO302.xml", "301", messages.Rejected, "Client/ToegewezenProducten/ToegewezenProduct[2]", "9332"},
		{"ijw/JW302.xml", "301", "", "", ""},
		{"iwmo/WMO306.xml", "305", "", "", ""},
		{"iwmo/WMO308.xml", "307", "", "", ""},
		{"iwmo/WMO316.xml", "315", "", "", ""},
		{"iwmo/WMO318.xml", "317", "", "", ""},
		{"iwmo/WMO320.xml", "319", "", "", ""},
		{"ijw/JW320.xml", "319", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := messages.Parse(testenv.ReadFile(t, filepath.Join(examplesDir, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			res, err := messages.ReadRetour(m)
			if err != nil {
				t.Fatal(err)
			}
			if res.AnswersTo != tc.answers {
				t.Errorf("answers %s, want %s", res.AnswersTo, tc.answers)
			}
			if tc.outcome != "" && res.Outcome != tc.outcome {
				t.Errorf("outcome %s, want %s", res.Outcome, tc.outcome)
			}
			for _, r := range res.Records {
				for _, c := range r.Codes {
					if c.Meaning == "" {
						t.Errorf("%s: code %s has no meaning", r.Path, c.Code)
					}
				}
				if r.Path == tc.rejected && (r.Outcome != messages.Rejected || r.Codes[0].Code != tc.code) {
					t.Errorf("%s: %+v, want rejected with %s", r.Path, r, tc.code)
				}
			}
		})
	}
}

func TestReadRetourRefusesHeenberichten(t *testing.T) {
	for _, k := range []string{"301", "305", "319", "323", "325"} {
		m, _ := messages.New(messages.IWmo, k)
		if _, err := messages.ReadRetour(m); !errors.Is(err, messages.ErrUnknownMessage) {
			t.Errorf("%s: %v, want ErrUnknownMessage", k, err)
		}
	}
	if _, err := messages.ReadRetour(nil); !errors.Is(err, messages.ErrUnknownMessage) {
		t.Errorf("nil: %v", err)
	}
}
