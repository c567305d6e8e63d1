package screen_test

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/sluis-gateway/sluis/internal/consent"
)

// consents is an in-memory consent.UseStore: one client's register, with
// UseConsents keeping the contract written on the port (all or none, used by
// another fails with ErrConsentUsed, used by the same disclosure is a no-op).
type consents struct {
	mu  sync.Mutex
	reg consent.Register
	// usedMeanwhile names consents another disclosure uses after the
	// register was read and before UseConsents stores the use.
	usedMeanwhile map[string]string
	registerErr   error
	useErr        error
	useCalls      [][]string
}

func (c *consents) ConsentRegister(_ context.Context, _ string) (consent.Register, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.registerErr != nil {
		return consent.Register{}, c.registerErr
	}
	reg := c.reg
	reg.Consents = slices.Clone(c.reg.Consents)
	return reg, nil
}

func (c *consents) UseConsents(_ context.Context, disclosureID string, ids []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.useCalls = append(c.useCalls, slices.Clone(ids))
	if c.useErr != nil {
		return c.useErr
	}
	for i := range c.reg.Consents {
		cs := &c.reg.Consents[i]
		if by, ok := c.usedMeanwhile[cs.ID]; ok {
			cs.UsedBy = by
		}
	}
	for _, id := range ids {
		i := slices.IndexFunc(c.reg.Consents, func(cs consent.Consent) bool { return cs.ID == id })
		if i < 0 {
			return fmt.Errorf("consent %s: unknown", id)
		}
		if by := c.reg.Consents[i].UsedBy; by != "" && by != disclosureID {
			return fmt.Errorf("consent %s: %w", id, consent.ErrConsentUsed)
		}
	}
	for _, id := range ids {
		i := slices.IndexFunc(c.reg.Consents, func(cs consent.Consent) bool { return cs.ID == id })
		c.reg.Consents[i].UsedBy = disclosureID
	}
	return nil
}

// usedBy is the disclosure that used consent id, "" when none did.
func (c *consents) usedBy(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cs := range c.reg.Consents {
		if cs.ID == id {
			return cs.UsedBy
		}
	}
	return ""
}
