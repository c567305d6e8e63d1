package storecore

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/register"
	"github.com/sluis-gateway/sluis/internal/screen"
)

func TestPlanUse(t *testing.T) {
	found := map[string]consent.Consent{
		"free":   {ID: "free", SingleShare: true},
		"mine":   {ID: "mine", SingleShare: true, UsedBy: "d-1"},
		"theirs": {ID: "theirs", SingleShare: true, UsedBy: "d-2"},
		"period": {ID: "period"},
	}
	tests := []struct {
		name string
		ids  []string
		mark []string
		err  error
	}{
		{"nothing", nil, nil, nil},
		{"one free", []string{"free"}, []string{"free"}, nil},
		{"already mine", []string{"mine"}, nil, nil},
		{"mine and free", []string{"free", "mine"}, []string{"free"}, nil},
		{"used by another", []string{"free", "theirs"}, nil, screen.ErrConsentUsed},
		{"unknown", []string{"free", "nope"}, nil, register.ErrUnknownConsent},
		{"period consent", []string{"free", "period"}, nil, ErrBadArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark, err := PlanUse("d-1", UniqueIDs(tt.ids), found)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			var ids []string
			for _, c := range mark {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tt.mark) {
				t.Fatalf("marks %q, want %q", ids, tt.mark)
			}
		})
	}
}

func TestSameConsent(t *testing.T) {
	ams := time.FixedZone("CET", 3600)
	base := consent.Consent{
		ID: "c", ClientKey: "k", GivenBy: []consent.Giver{consent.GiverClient},
		GivenAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, ams), Recipient: "r", Purpose: "p",
		Categories: []category.Category{category.Contact},
		ValidFrom:  time.Date(2026, 1, 1, 0, 0, 0, 0, ams), ValidUntil: time.Date(2026, 2, 1, 0, 0, 0, 0, ams),
	}
	tests := []struct {
		name   string
		modify func(c *consent.Consent)
		same   bool
	}{
		{"identical", func(*consent.Consent) {}, true},
		{"nanoseconds below a microsecond", func(c *consent.Consent) { c.GivenAt = c.GivenAt.Add(500) }, true},
		{"used and withdrawn", func(c *consent.Consent) {
			c.UsedBy = "d"
			w := time.Now()
			c.WithdrawnAt = &w
		}, true},
		{"no categories", func(c *consent.Consent) { c.Categories = nil }, false},
		{"other purpose", func(c *consent.Consent) { c.Purpose = "q" }, false},
		{"no period", func(c *consent.Consent) { c.ValidFrom = time.Time{} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := base
			other.GivenBy = slices.Clone(base.GivenBy)
			tt.modify(&other)
			if got := SameConsent(NormalizeConsent(base), NormalizeConsent(other)); got != tt.same {
				t.Fatalf("SameConsent = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestGiversAndCategoriesRoundTrip(t *testing.T) {
	gs := []consent.Giver{consent.GiverParentWithAuthority, consent.GiverClient}
	if got, err := DecodeGivers(EncodeGivers(gs)); err != nil || !slices.Equal(got, gs) {
		t.Fatalf("givers round trip: %q, %v", got, err)
	}
	if got, err := DecodeGivers(EncodeGivers(nil)); err != nil || got != nil {
		t.Fatalf("no givers round trip: %q, %v", got, err)
	}
	cs := []category.Category{category.Relations, category.Contact}
	if got, err := DecodeCategories(EncodeCategories(cs)); err != nil || !slices.Equal(got, cs) {
		t.Fatalf("categories round trip: %q, %v", got, err)
	}
}
