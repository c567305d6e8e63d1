package storecore

import (
	"fmt"
	"slices"

	"github.com/sluis-gateway/sluis/internal/casework"
)

// CheckItem checks what OpenItem stores.
func CheckItem(it casework.Item) error {
	switch {
	case !slices.Contains(casework.Kinds, it.Kind):
		return fmt.Errorf("%w: unknown item kind", ErrBadArgument)
	case it.OpenedAt.IsZero():
		return fmt.Errorf("%w: opened_at is zero", ErrBadArgument)
	}
	for _, f := range []struct{ name, v string }{{"id", it.ID}, {"disclosure_id", it.DisclosureID}, {"municipality", it.Municipality}} {
		if err := CheckKey(f.name, f.v); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"reason", it.Reason}, {"reference", it.Reference}} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// NormalizeItem truncates an item's times to the microsecond, in UTC, and
// clears what OpenItem does not take (the closing).
func NormalizeItem(it casework.Item) casework.Item {
	it.OpenedAt = Trunc(it.OpenedAt)
	if it.Due != nil {
		d := Trunc(*it.Due)
		it.Due = &d
	}
	it.ClosedAt, it.ClosedBy, it.Outcome, it.OutcomeReason, it.OutcomeReference = nil, "", "", "", ""
	return it
}

// CheckClosing checks what CloseItem takes.
func CheckClosing(id string, c casework.Closing) error {
	if err := CheckKey("id", id); err != nil {
		return err
	}
	if err := CheckKey("outcome", c.Outcome); err != nil {
		return err
	}
	if c.At.IsZero() {
		return fmt.Errorf("%w: closed at is zero", ErrBadArgument)
	}
	for _, f := range []struct{ name, v string }{{"reason", c.Reason}, {"reference", c.Reference}} {
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}
