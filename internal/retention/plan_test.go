package retention_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// disclosure is a disclosure registered at t0 of standard that went
// through states.
func disclosure(id, standard string, states ...receipts.State) receipts.Record {
	at := map[receipts.State]time.Time{receipts.Received: t0}
	for _, s := range states {
		at[s] = t0
	}
	state := receipts.Received
	if len(states) > 0 {
		state = states[len(states)-1]
	}
	return receipts.Record{DisclosureID: id, Municipality: "0363", Standard: standard, Basis: "consent",
		ClientKey: "ck", State: state, At: at, CreatedAt: t0}
}

var delivered = []receipts.State{receipts.Allowed, receipts.Published, receipts.Delivered}

func ids(recs []receipts.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.DisclosureID)
	}
	return out
}

func TestPlanTerms(t *testing.T) {
	withdrawn := retention.ConsentRow{ID: "0363:c-w", WithdrawnAt: t0}
	used := retention.ConsentRow{ID: "0363:c-u", SingleShare: true, UsedBy: "d-wmo", UsedAt: t0}
	period := retention.ConsentRow{ID: "0363:c-p", ValidUntil: t0.AddDate(1, 0, 0)}
	open := retention.ConsentRow{ID: "0363:c-open", SingleShare: true}
	hold := retention.Holdings{
		Client:      retention.Client{Municipality: "0363", ClientKey: "ck"},
		Disclosures: []receipts.Record{disclosure("d-ijw", "iJw", delivered...), disclosure("d-wmo", "iWmo", delivered...)},
		Relied:      map[string][]string{"0363:c-u": {"d-wmo"}, "0363:c-p": {"d-ijw"}},
		Register: retention.Register{
			Consents:       []retention.ConsentRow{withdrawn, used, period, open},
			Restrictions:   []retention.Pause{{ID: 1, From: t0, LiftedAt: t0.Add(time.Hour)}, {ID: 2, From: t0}},
			Objections:     []retention.Pause{{ID: 3, From: t0, LiftedAt: t0.AddDate(10, 0, 0)}},
			Representative: &retention.Representative{Recorded: true, UpdatedAt: t0},
		},
	}
	tests := []struct {
		name         string
		at           time.Time
		disclosures  []string
		consents     []string
		restrictions []int64
		objections   []int64
		rep          bool
	}{
		{"within every term: nothing", t0.AddDate(4, 0, 0), nil, nil, nil, nil, false},
		{"five years after it ended: a withdrawn consent and a lifted restriction", t0.AddDate(5, 0, 1), nil,
			[]string{"0363:c-w"}, []int64{1}, nil, false},
		{"fifteen years: the iWmo disclosure and the consent it used", t0.AddDate(15, 0, 0), []string{"d-wmo"},
			[]string{"0363:c-w", "0363:c-u"}, []int64{1}, []int64{3}, false},
		{"twenty years: the iJw disclosure and the period consent it relied on; an open consent and a restriction in force stay",
			t0.AddDate(20, 0, 0), []string{"d-ijw", "d-wmo"}, []string{"0363:c-w", "0363:c-u", "0363:c-p"}, []int64{1}, []int64{3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := retention.PlanTerms(hold, tc.at)
			if got := ids(p.Disclosures); !slices.Equal(got, tc.disclosures) {
				t.Errorf("disclosures %v, want %v", got, tc.disclosures)
			}
			if !slices.Equal(p.ConsentIDs, tc.consents) {
				t.Errorf("consents %v, want %v", p.ConsentIDs, tc.consents)
			}
			if !slices.Equal(p.RestrictionIDs, tc.restrictions) || !slices.Equal(p.ObjectionIDs, tc.objections) {
				t.Errorf("restrictions %v objections %v, want %v %v", p.RestrictionIDs, p.ObjectionIDs, tc.restrictions, tc.objections)
			}
			if p.Representative != tc.rep {
				t.Errorf("representative %v, want %v", p.Representative, tc.rep)
			}
		})
	}
	t.Run("the representative mark goes with the last of the client", func(t *testing.T) {
		h := retention.Holdings{Client: hold.Client,
			Disclosures: []receipts.Record{disclosure("d-wmo", "iWmo", delivered...)},
			Relied:      map[string][]string{"0363:c-u": {"d-wmo"}},
			Register: retention.Register{Consents: []retention.ConsentRow{used},
				Representative: &retention.Representative{Recorded: true, UpdatedAt: t0}}}
		if p := retention.PlanTerms(h, t0.AddDate(14, 0, 0)); p.Representative {
			t.Error("mark destroyed while the disclosure is kept")
		}
		p := retention.PlanTerms(h, t0.AddDate(15, 0, 0))
		if !p.Representative || len(p.Kept) != 0 || !slices.Equal(p.ConsentIDs, []string{"0363:c-u"}) {
			t.Errorf("plan %+v, want everything destroyed", p)
		}
	})
}

func TestPlanErasure(t *testing.T) {
	client := retention.Client{Municipality: "0363", ClientKey: "ck"}
	tests := []struct {
		name        string
		h           retention.Holdings
		at          time.Time
		outcome     string // of the plan, as Erase answers
		disclosures []string
		consents    []string
		kept        map[retention.Kind]retention.Reason
	}{
		{"a delivered disclosure within its term is kept with its archived message and the consent it relied on",
			retention.Holdings{Client: client,
				Disclosures: []receipts.Record{disclosure("d-1", "iJw", delivered...), disclosure("d-2", "iJw", receipts.Refused)},
				Archived:    map[string]bool{"d-1": true},
				Relied:      map[string][]string{"0363:c-1": {"d-1"}},
				Register: retention.Register{Consents: []retention.ConsentRow{{ID: "0363:c-1"}, {ID: "0363:c-2", WithdrawnAt: t0}},
					Restrictions: []retention.Pause{{ID: 7, From: t0}}}},
			t0.AddDate(1, 0, 0), retention.OutcomePartial, []string{"d-2"}, []string{"0363:c-2"},
			map[retention.Kind]retention.Reason{retention.KindDisclosure: retention.ReasonRetentionTerm,
				retention.KindArchived: retention.ReasonRetentionTerm, retention.KindConsent: retention.ReasonReliedOn,
				retention.KindRestriction: retention.ReasonInForce}},
		{"everything under a duty: refused",
			retention.Holdings{Client: client, Disclosures: []receipts.Record{disclosure("d-1", "iWmo", delivered...)}},
			t0.AddDate(1, 0, 0), retention.OutcomeRefused, nil, nil,
			map[retention.Kind]retention.Reason{retention.KindDisclosure: retention.ReasonRetentionTerm}},
		{"a disclosure in progress refuses the whole request",
			retention.Holdings{Client: client, Disclosures: []receipts.Record{disclosure("d-1", "iWmo", receipts.Allowed),
				disclosure("d-2", "iWmo", receipts.Refused)}},
			t0, retention.OutcomeRefused, nil, nil,
			map[retention.Kind]retention.Reason{retention.KindDisclosure: retention.ReasonInProgress}},
		{"nothing that left sluis: erased",
			retention.Holdings{Client: client,
				Disclosures: []receipts.Record{disclosure("d-1", "iWmo", receipts.Refused), disclosure("d-2", "iJw", receipts.Allowed, receipts.Failed)},
				Register: retention.Register{Consents: []retention.ConsentRow{{ID: "0363:c-1"}},
					Objections: []retention.Pause{{ID: 3, From: t0, LiftedAt: t0}}, Representative: &retention.Representative{}}},
			t0, retention.OutcomeErased, []string{"d-1", "d-2"}, []string{"0363:c-1"}, nil},
		{"a delivered disclosure past its term is destroyed",
			retention.Holdings{Client: client, Disclosures: []receipts.Record{disclosure("d-1", "iWmo", delivered...)}},
			t0.AddDate(15, 0, 0), retention.OutcomeErased, []string{"d-1"}, nil, nil},
		{"published but failed before a confirm: possibly received, kept",
			retention.Holdings{Client: client, Disclosures: []receipts.Record{disclosure("d-1", "iJw", receipts.Allowed, receipts.Published, receipts.Failed)}},
			t0, retention.OutcomeRefused, nil, nil,
			map[retention.Kind]retention.Reason{retention.KindDisclosure: retention.ReasonRetentionTerm}},
		{"nothing held: erased", retention.Holdings{Client: client}, t0, retention.OutcomeErased, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := retention.PlanErasure(tc.h, tc.at)
			if got := ids(p.Disclosures); !slices.Equal(got, tc.disclosures) {
				t.Errorf("disclosures %v, want %v", got, tc.disclosures)
			}
			if !slices.Equal(p.ConsentIDs, tc.consents) {
				t.Errorf("consents %v, want %v", p.ConsentIDs, tc.consents)
			}
			kept := map[retention.Kind]retention.Reason{}
			for _, k := range p.Kept {
				kept[k.Kind] = k.Reason
			}
			if len(kept) != len(tc.kept) {
				t.Errorf("kept %v, want %v", kept, tc.kept)
			}
			for k, r := range tc.kept {
				if kept[k] != r {
					t.Errorf("kept %s for %q, want %q", k, kept[k], r)
				}
			}
			if got := retention.OutcomeOf(p); got != tc.outcome {
				t.Errorf("outcome %s, want %s", got, tc.outcome)
			}
		})
	}
}

func TestReliedOn(t *testing.T) {
	rec := disclosure("d-1", "iWmo", delivered...)
	relied := map[string][]string{}
	retention.ReliedOn(relied, rec, []ledger.Entry{
		{Event: "state:received"},
		{Event: "state:allowed", Detail: map[string]string{"basis": "consent", "consents": "c-1,c-2"}},
	})
	if !slices.Equal(relied["0363:c-1"], []string{"d-1"}) || !slices.Equal(relied["0363:c-2"], []string{"d-1"}) || len(relied) != 2 {
		t.Fatalf("relied %v", relied)
	}
}

func TestConsentEnded(t *testing.T) {
	tests := []struct {
		name  string
		c     retention.ConsentRow
		ended time.Time
		ok    bool
	}{
		{"open", retention.ConsentRow{}, time.Time{}, false},
		{"withdrawn", retention.ConsentRow{WithdrawnAt: t0}, t0, true},
		{"used, withdrawn later: the use ends it", retention.ConsentRow{UsedAt: t0, WithdrawnAt: t0.Add(time.Hour)}, t0, true},
		{"period: the day after its last day", retention.ConsentRow{ValidUntil: t0}, t0.AddDate(0, 0, 1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.c.Ended()
			if ok != tc.ok || !got.Equal(tc.ended) {
				t.Fatalf("Ended = %s, %v; want %s, %v", got, ok, tc.ended, tc.ok)
			}
		})
	}
}
