package storecore

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/consent"
)

// NormalizeConsent brings a consent given to RecordConsent to its stored
// form: times in UTC with microsecond precision (zero stays zero), and the
// register's own state (UsedBy, WithdrawnAt) cleared: a consent is recorded
// unused and not withdrawn; UseConsents and WithdrawConsent change that.
func NormalizeConsent(c consent.Consent) consent.Consent {
	c.GivenBy = slices.Clone(c.GivenBy)
	c.Categories = slices.Clone(c.Categories)
	c.GivenAt = TruncOrZero(c.GivenAt)
	c.ValidFrom = TruncOrZero(c.ValidFrom)
	c.ValidUntil = TruncOrZero(c.ValidUntil)
	c.UsedBy = ""
	c.WithdrawnAt = nil
	return c
}

// TruncOrZero is Trunc, except that the zero time stays the zero time.
func TruncOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return Trunc(t)
}

// CheckConsent checks a consent given to RecordConsent: an id and a client
// key are required, and all text must read back unchanged. Whether the
// consent is complete enough to share on is the decision's business
// (consent.Decide refuses incomplete consents), not the store's.
func CheckConsent(c consent.Consent) error {
	if c.ID == "" {
		return fmt.Errorf("%w: consent id is empty", ErrBadArgument)
	}
	if c.ClientKey == "" {
		return fmt.Errorf("%w: client key is empty", ErrBadArgument)
	}
	for _, f := range []struct{ name, v string }{
		{"consent_id", c.ID}, {"client_key", c.ClientKey},
		{"recipient", c.Recipient}, {"purpose", c.Purpose},
	} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	for _, g := range c.GivenBy {
		if err := CheckText("given_by", string(g)); err != nil {
			return err
		}
	}
	for _, cat := range c.Categories {
		if err := CheckText("categories", string(cat)); err != nil {
			return err
		}
	}
	return nil
}

// CheckKey checks a client key or an id given to the register's methods.
func CheckKey(field, v string) error {
	if v == "" {
		return fmt.Errorf("%w: %s is empty", ErrBadArgument, field)
	}
	return CheckText(field, v)
}

// SameConsent reports whether a and b (both normalised) have the same
// content: everything RecordConsent stores except the register's state
// (UsedBy, WithdrawnAt). Order of givers and categories counts.
func SameConsent(a, b consent.Consent) bool {
	return a.ID == b.ID && a.ClientKey == b.ClientKey &&
		slices.Equal(a.GivenBy, b.GivenBy) && a.GivenAt.Equal(b.GivenAt) &&
		a.Recipient == b.Recipient && a.Purpose == b.Purpose &&
		slices.Equal(a.Categories, b.Categories) && a.SingleShare == b.SingleShare &&
		a.ValidFrom.Equal(b.ValidFrom) && a.ValidUntil.Equal(b.ValidUntil)
}

// ConsentDetail is the ledger detail of a consent event: its id, recipient,
// purpose and categories (comma-joined). Never the client key.
func ConsentDetail(c consent.Consent) map[string]string {
	cats := make([]string, len(c.Categories))
	for i, cat := range c.Categories {
		cats[i] = string(cat)
	}
	return map[string]string{
		"consent_id": c.ID,
		"recipient":  c.Recipient,
		"purpose":    c.Purpose,
		"categories": strings.Join(cats, ","),
	}
}

// WithdrawDetail is the ledger detail of a withdrawal.
func WithdrawDetail(c consent.Consent, at time.Time) map[string]string {
	d := ConsentDetail(c)
	d["withdrawn_at"] = FormatTime(at)
	return d
}

// RestrictionDetail is the ledger detail of a restriction event: the
// restriction's row id and start, and for a lift the moment it was lifted.
func RestrictionDetail(id int64, from time.Time, liftedAt *time.Time) map[string]string {
	d := map[string]string{"restriction_id": strconv.FormatInt(id, 10), "from": FormatTime(from)}
	if liftedAt != nil {
		d["lifted_at"] = FormatTime(*liftedAt)
	}
	return d
}

// ObjectionDetail is the ledger detail of an objection event (art. 21):
// the objection's row id and start, and for a lift the moment it was lifted.
func ObjectionDetail(id int64, from time.Time, liftedAt *time.Time) map[string]string {
	d := map[string]string{"objection_id": strconv.FormatInt(id, 10), "from": FormatTime(from)}
	if liftedAt != nil {
		d["lifted_at"] = FormatTime(*liftedAt)
	}
	return d
}

// RepresentativeDetail is the ledger detail of representative:recorded.
func RepresentativeDetail(recorded bool) map[string]string {
	return map[string]string{"legal_representative": strconv.FormatBool(recorded)}
}

// FormatTime renders a stored time for ledger detail.
func FormatTime(t time.Time) string { return Trunc(t).Format(time.RFC3339Nano) }

// EncodeGivers and EncodeCategories encode lists for a column.
func EncodeGivers(gs []consent.Giver) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = string(g)
	}
	return EncodeCodes(s)
}

// EncodeCategories encodes a category list for a column.
func EncodeCategories(cs []category.Category) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return EncodeCodes(s)
}

// DecodeGivers is the inverse of EncodeGivers (none decodes as nil).
func DecodeGivers(s string) ([]consent.Giver, error) {
	l, err := DecodeCodes(s)
	if err != nil || l == nil {
		return nil, err
	}
	out := make([]consent.Giver, len(l))
	for i, v := range l {
		out[i] = consent.Giver(v)
	}
	return out, nil
}

// DecodeCategories is the inverse of EncodeCategories (none decodes as nil).
func DecodeCategories(s string) ([]category.Category, error) {
	l, err := DecodeCodes(s)
	if err != nil || l == nil {
		return nil, err
	}
	out := make([]category.Category, len(l))
	for i, v := range l {
		out[i] = category.Category(v)
	}
	return out, nil
}

// UniqueIDs returns ids sorted and without duplicates, so that rows are
// always locked in one order (no deadlocks between concurrent callers).
func UniqueIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// UseError is how the stores report an error of consent.PlanUse: a
// consent that is not single-share is a bad argument; the rest as they are.
func UseError(err error) error {
	if errors.Is(err, consent.ErrNotSingleShare) {
		return fmt.Errorf("%w: %w", ErrBadArgument, err)
	}
	return err
}
