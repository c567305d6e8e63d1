// Package screen is the pipeline's screening stage: the legal basis and
// consent decision (internal/consent) against the consent register, then
// data minimisation, before anything is composed.
package screen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/minimise"
	"github.com/sluis-gateway/sluis/internal/pipeline"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// CodeNoProfile is the refusal code of a request no purpose profile allows.
const CodeNoProfile = "NO_PROFILE"

// Codes lists every refusal code a screening may carry: NO_PROFILE, the
// minimisation codes (minimise.Codes) and the legal basis and consent codes
// (consent.RefusalCodes). It is the bounded label set of the refusal metric.
func Codes() []string {
	out := []string{CodeNoProfile}
	out = append(out, minimise.Codes...)
	for _, c := range consent.RefusalCodes {
		out = append(out, string(c))
	}
	return out
}

// Screener screens disclosures. Safe for concurrent use.
type Screener struct {
	store    consent.UseStore
	profiles *minimise.Profiles
	now      func() time.Time
}

// New returns the screener.
func New(store consent.UseStore, profiles *minimise.Profiles) (*Screener, error) {
	if store == nil || profiles == nil {
		return nil, errors.New("screen: consent store and purpose profiles are required")
	}
	return &Screener{store: store, profiles: profiles, now: time.Now}, nil
}

// Screen decides whether req may leave, on the day it is screened: first
// data minimisation against the purpose profile and what the basis covers
// (internal/minimise), then the legal basis and consent decision
// (internal/consent) on the checked request. Only the checked request may
// be composed.
func (s *Screener) Screen(ctx context.Context, req disclosure.Request, rec receipts.Record) (pipeline.Screening, error) {
	// Only what the disclosure's municipality recorded counts.
	key := consent.RegisterKey(rec.Municipality, rec.ClientKey)
	stored, err := s.store.ConsentRegister(ctx, key)
	if err != nil {
		return pipeline.Screening{}, fmt.Errorf("consent register: %w", err)
	}
	// The register keeps the municipality's consent ids under
	// consent.StoredConsentID; the request names them as the municipality
	// gave them.
	reg := stored
	reg.Consents = make([]consent.Consent, len(stored.Consents))
	for i, c := range stored.Consents {
		c.ID = consent.ConsentIDOf(rec.Municipality, c.ID)
		reg.Consents[i] = c
	}
	now := s.now()
	prof, err := s.profiles.For(req.Standard, req.MessageType, req.Purpose)
	if errors.Is(err, minimise.ErrNoProfile) {
		return pipeline.Screening{
			Basis:       req.LegalBasis.Kind,
			ReasonCodes: []string{CodeNoProfile},
			Sentence:    "Refused: no purpose profile allows this purpose for this message type.",
		}, nil
	}
	if err != nil {
		return pipeline.Screening{}, fmt.Errorf("purpose profile: %w", err)
	}
	m := minimise.Check(req, prof, minimise.BasisOf(req, reg, key, now))
	detail := map[string]string{"profile": m.Profile}
	if len(m.Categories) > 0 {
		cats := make([]string, len(m.Categories))
		for i, c := range m.Categories {
			cats[i] = string(c)
		}
		detail["categories"] = strings.Join(cats, ",")
	}
	if len(m.Stripped) > 0 {
		detail["stripped"] = strings.Join(m.Stripped, ",")
	}
	if len(m.Notices) > 0 {
		var codes []string
		for _, n := range m.Notices {
			codes = append(codes, n.Code)
		}
		detail["notices"] = strings.Join(codes, ",")
	}
	if !m.Allowed {
		// Say why the basis fails too, when it does: "no consent" explains
		// more than "no category covered".
		out := pipeline.Screening{Basis: req.LegalBasis.Kind, Sentence: m.Sentence(), Detail: detail}
		if d := consent.Decide(req, reg, key, now); !d.Allowed {
			for _, c := range d.Codes {
				out.ReasonCodes = append(out.ReasonCodes, string(c))
			}
			out.Sentence = d.Sentence + " " + m.Sentence()
		}
		out.ReasonCodes = append(out.ReasonCodes, m.Codes()...)
		return out, nil
	}
	d := consent.Decide(m.Request, reg, key, now)
	out := pipeline.Screening{
		Allowed:    d.Allowed,
		Checked:    m.Request,
		Basis:      d.Basis,
		ConsentIDs: d.ConsentIDs,
		Sentence:   d.Sentence,
		Detail:     detail,
	}
	for _, c := range d.Codes {
		out.ReasonCodes = append(out.ReasonCodes, string(c))
	}
	if !d.Allowed {
		return out, nil
	}
	overrideDetail(out.Detail, m.Request)
	if len(d.SingleShareIDs) > 0 {
		ids := make([]string, len(d.SingleShareIDs))
		for i, id := range d.SingleShareIDs {
			ids[i] = consent.StoredConsentID(rec.Municipality, id)
		}
		err := s.store.UseConsents(ctx, req.ID, ids)
		if errors.Is(err, consent.ErrConsentUsed) {
			return pipeline.Screening{
				Basis: d.Basis, ConsentIDs: d.ConsentIDs, Detail: detail,
				ReasonCodes: []string{string(consent.CodeConsentAlreadyUsed)},
				Sentence:    "Refused: a single-share consent was already used for another disclosure.",
			}, nil
		}
		if err != nil {
			return pipeline.Screening{}, fmt.Errorf("use consents: %w", err)
		}
	}
	var follow []string
	for _, f := range d.FollowUps {
		item := string(f.Kind)
		if f.Due != nil {
			out.Detail["inform_client_due"] = f.Due.UTC().Format(time.RFC3339)
		}
		if f.NotPossible {
			out.Detail["inform_client_not_possible"] = "true"
		}
		follow = append(follow, item)
	}
	if len(follow) > 0 {
		out.Detail["follow_up"] = strings.Join(follow, ",")
	}
	return out, nil
}

// overrideDetail adds to the ledger detail of an allowed safety override
// who was consulted, in which role and when (pseudonymous ids and a time:
// no client data; the note stays out).
func overrideDetail(detail map[string]string, req disclosure.Request) {
	c := req.LegalBasis.Consultation
	if req.LegalBasis.Kind != disclosure.BasisSafetyOverride || c == nil {
		return
	}
	detail["consulted"] = c.Consulted
	detail["consulted_role"] = c.Role
	detail["consulted_at"] = c.At.UTC().Format(time.RFC3339)
}
