package inbound_test

import (
	"slices"
	"testing"

	"github.com/sluis-gateway/sluis/internal/inbound"
	"github.com/sluis-gateway/sluis/messages"
)

// TestAssessCodes: which retour codes the technical retour carries for
// what was found.
func TestAssessCodes(t *testing.T) {
	today := messages.NewDate(2026, 12, 3)
	tests := []struct {
		name  string
		edit  func(m messages.Message)
		codes []messages.RetourCode
		rules []string
	}{
		{"accepted", func(messages.Message) {}, []messages.RetourCode{"0200"}, nil},
		{"a gemeentecode not in the CBS list (TR378)", func(m messages.Message) { m.Head().Ontvanger = "9999" },
			[]messages.RetourCode{"S300"}, []string{"TR378"}},
		{"dated tomorrow (TR135)", func(m messages.Message) { m.Head().BerichtIdentificatie.Dagtekening = today.AddDays(1) },
			[]messages.RetourCode{"8848"}, []string{"TR135"}},
		{"a record twice (TR101) and a birth date of 1890 (TR002)", func(m messages.Message) {
			s := m.(*messages.Start)
			s.Client.Geboortedatum.Datum = messages.NewDate(1890, 1, 1)
			s.Client.StartProducten = append(s.Client.StartProducten, s.Client.StartProducten[0])
		}, []messages.RetourCode{"0001"}, []string{"TR002", "TR101"}},
		{"level 2 and CBS together", func(m messages.Message) {
			s := m.(*messages.Start)
			s.Head().Ontvanger = "9999"
			s.Client.StartProducten = append(s.Client.StartProducten, s.Client.StartProducten[0])
		}, []messages.RetourCode{"S300", "0001"}, []string{"TR378", "TR101"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := inbound.Example(messages.IWmo, "305", "42420001", "0363", "A1", today, false)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			codes, rules := inbound.Assess(m, today)
			slices.Sort(rules)
			want := slices.Clone(tc.rules)
			slices.Sort(want)
			if !slices.Equal(codes, tc.codes) || !slices.Equal(rules, want) {
				t.Fatalf("Assess = %v %v, want %v %v", codes, rules, tc.codes, tc.rules)
			}
		})
	}
}
