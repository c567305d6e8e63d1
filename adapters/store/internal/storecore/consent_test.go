package storecore

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
)

func TestUseError(t *testing.T) {
	err := UseError(fmt.Errorf("use consent c: %w", consent.ErrNotSingleShare))
	if !errors.Is(err, ErrBadArgument) || !errors.Is(err, consent.ErrNotSingleShare) {
		t.Fatalf("UseError = %v, want a bad argument", err)
	}
	if err := UseError(consent.ErrConsentUsed); errors.Is(err, ErrBadArgument) {
		t.Fatalf("UseError(%v) is a bad argument", err)
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
