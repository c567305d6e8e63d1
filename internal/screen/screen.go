// Package screen is the pipeline's screening stage: the legal basis and
// consent decision and data minimisation, in that order, before anything is
// composed.
package screen

import (
	"context"

	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/provider"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// Screener screens disclosures.
type Screener struct {
	providers *provider.Registry
}

// New returns the screener.
func New(providers *provider.Registry) *Screener {
	return &Screener{providers: providers}
}

// Screen decides whether req may leave.
//
// PLACEHOLDER (walking skeleton): it allows every request on the basis the
// request names. The consent register and its rules (internal/consent) and
// purpose profiles (minimisation) replace this; see docs/privacy-rules.md
// for which rules are enforced.
func (s *Screener) Screen(_ context.Context, req disclosure.Request, _ receipts.Record) (pipeline.Screening, error) {
	return pipeline.Screening{Allowed: true, Basis: req.LegalBasis.Kind}, nil
}
