package inbound

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/sluis-gateway/sluis/messages"
)

// Retour codes of the receiving side's rules that are not 0001 (WJ001).
var ruleRetourCodes = map[string]messages.RetourCode{
	"TR378": "S300", // gemeentecode not in the CBS list
	"TR135": "8848", // Dagtekening after the system date
	"TR056": "9056", // Identificatie not unique
}

// Assess applies the receiving side's rules of the message's type
// (messages.Check with today as the system date: the XSD model, the
// conditions and constraints, and the technical rules, see
// docs/message-rules.md) and returns the retour codes of the technical
// retour with the broken rule codes. Accepted: [0200] and no rules. A
// broken level-2 rule gives 0001 (afgekeurd om technische redenen); TR378
// gives S300 and TR135 8848. Codes and rules are each listed once, in the
// order found.
func Assess(m messages.Message, today messages.Date) ([]messages.RetourCode, []string) {
	err := messages.Check(m, messages.BuildOptions{Today: today})
	if err == nil {
		return []messages.RetourCode{messages.RetourGeenOpmerking}, nil
	}
	rules := messages.RuleCodes(err)
	if len(rules) == 0 {
		// Not a rule error (should not happen after Parse): rejected all
		// the same, never accepted unchecked.
		rules = []string{"XSD"}
	}
	var codes []messages.RetourCode
	var out []string
	for _, r := range rules {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
		c, ok := ruleRetourCodes[r]
		if !ok {
			c = messages.RetourTechnisch
		}
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	return codes, out
}

// ErrNoRetour is returned by TechnicalRetour for a message it has no
// technical retour for.
var ErrNoRetour = errors.New("inbound: no technical retour for this message")

// TechnicalRetour builds the answer sluis sends at once on a heenbericht:
// for a 305, 307, 315 or 317 its retour (306, 308, 316, 318) with the
// heenbericht's Header copied (IV028: Afzender is still the provider),
// IdentificatieRetour, DagtekeningRetour and XsdVersieRetour added, and
// codes as the header's RetourCodes, with XsltVersie when 0001 is among
// them. Only the header comes back (IV028: a technical rejection, and the
// client's data need not travel back to the provider). For a 323 (which
// has no retour of its own) it is the header-only 325 of a technical
// rejection: Afzender the gemeente, DeclaratieIdentificatie the 323's.
func TechnicalRetour(heen messages.Message, codes []messages.RetourCode, identRetour string, today messages.Date) (messages.Message, error) {
	if heen == nil || len(codes) == 0 {
		return nil, fmt.Errorf("%w: nil message or no codes", ErrNoRetour)
	}
	h := *heen.Head()
	codes = slices.Clone(codes)
	xslt := ""
	if slices.Contains(codes, messages.RetourTechnisch) {
		xslt = "1.0.0"
	}
	if heen.Kind() == "323" {
		id, xv := h.BerichtIdentificatie, h.XsdVersie
		if xv == (messages.XsdVersie{}) {
			xv = messages.XsdVersie{BasisschemaXsdVersie: "1.0.0", BerichtXsdVersie: "1.0.0"}
		}
		return &messages.DeclaratieAntwoord{Std: heen.Standard(), Header: messages.Header{
			Afzender: h.Ontvanger, Ontvanger: h.Afzender,
			BerichtIdentificatie:    messages.BerichtIdentificatie{Identificatie: identRetour, Dagtekening: today},
			DeclaratieIdentificatie: &id, XsltVersie: "1.0.0", XsdVersieDeclaratie: &xv, RetourCodes: codes,
		}}, nil
	}
	h.BerichtCode = "" // Build writes the retour's
	h.IdentificatieRetour = identRetour
	h.DagtekeningRetour = today
	h.XsltVersie = xslt
	h.XsdVersieRetour = &messages.XsdVersie{BasisschemaXsdVersie: "1.0.0", BerichtXsdVersie: "1.0.0"}
	h.RetourCodes = codes
	std := heen.Standard()
	switch heen.(type) {
	case *messages.Start:
		return &messages.StartRetour{Std: std, Header: h}, nil
	case *messages.Stop:
		return &messages.StopRetour{Std: std, Header: h}, nil
	case *messages.VerzoekToewijzing:
		return &messages.VerzoekToewijzingRetour{Std: std, Header: h}, nil
	case *messages.VerzoekWijziging:
		return &messages.VerzoekWijzigingRetour{Std: std, Header: h}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNoRetour, messages.MessageType(std, heen.Kind()))
}

// shortID is a 12-character Identificatie(Retour) derived from an id, the
// same on every redelivery: "S" and 11 hex digits of its SHA-256.
func shortID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "S" + hex.EncodeToString(sum[:])[:11]
}
