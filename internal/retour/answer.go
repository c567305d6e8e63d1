package retour

import (
	"errors"
	"fmt"

	"github.com/sluis-gateway/sluis/messages"
)

// ErrCannotAnswer is returned by Answer for a message it has no retour for.
var ErrCannotAnswer = errors.New("retour: no retour for this message")

// Verdict is what a provider answers.
type Verdict struct {
	// Reject, when true, rejects the heenbericht with Code.
	Reject bool
	// Code is the retour code of a rejection (WJ001, e.g. "9332"); it must
	// not be 0200 or 0233.
	Code messages.RetourCode
	// IdentificatieRetour is the retour's own Identificatie (1–12
	// characters, unique per provider).
	IdentificatieRetour string
	// Today is the provider's date: DagtekeningRetour.
	Today messages.Date
}

// Answer builds the retour a care provider sends on heen: a 302 on a 301 or
// a 320 on a 319. As the standard requires, the retour repeats the
// heenbericht: the Header unchanged (IV028: Afzender is still the gemeente)
// with IdentificatieRetour, DagtekeningRetour and XsdVersieRetour added,
// and every record with its RetourCodes. Accepting, every record carries
// 0200 ("geen opmerking"). Rejecting, the chosen code goes on every
// ToegewezenProduct of a 302 (on the Client when there is none) or on the
// Antwoord of a 320, and 0200 on the other records. The result is a
// messages.Message ready for messages.Build.
func Answer(heen messages.Message, v Verdict) (messages.Message, error) {
	if heen == nil {
		return nil, fmt.Errorf("%w: nil message", ErrCannotAnswer)
	}
	if v.Reject && (v.Code == "" || v.Code == messages.RetourGeenOpmerking || v.Code == messages.RetourNietBeoordeeld) {
		return nil, fmt.Errorf("retour: a rejection needs a code other than 0200 and 0233")
	}
	h := *heen.Head()
	h.BerichtCode = "" // Build fills in the retour's code
	h.IdentificatieRetour = v.IdentificatieRetour
	h.DagtekeningRetour = v.Today
	h.XsdVersieRetour = &messages.XsdVersie{BasisschemaXsdVersie: "1.0.0", BerichtXsdVersie: "1.0.0"}
	h.RetourCodes = nil
	ok := []messages.RetourCode{messages.RetourGeenOpmerking}
	bad := []messages.RetourCode{v.Code}

	switch m := heen.(type) {
	case *messages.Toewijzing:
		c := m.Client // a copy; slices are copied below before changing them
		c.RetourCodes = ok
		c.Relaties = append([]messages.Relatie(nil), c.Relaties...)
		for i := range c.Relaties {
			c.Relaties[i].RetourCodes = ok
			c.Relaties[i].Contact.RetourCodes = ok
		}
		c.Contactgegevens = append([]messages.Contact(nil), c.Contactgegevens...)
		for i := range c.Contactgegevens {
			c.Contactgegevens[i].RetourCodes = ok
		}
		c.ToegewezenProducten = append([]messages.ToegewezenProduct(nil), c.ToegewezenProducten...)
		for i := range c.ToegewezenProducten {
			c.ToegewezenProducten[i].RetourCodes = ok
			if v.Reject {
				c.ToegewezenProducten[i].RetourCodes = bad
			}
		}
		if v.Reject && len(c.ToegewezenProducten) == 0 {
			c.RetourCodes = bad
		}
		return &messages.ToewijzingRetour{Std: m.Std, Header: h, Client: &c}, nil
	case *messages.Antwoordbericht:
		a := m.Antwoord
		a.RetourCodes = ok
		if v.Reject {
			a.RetourCodes = bad
		}
		if a.Woonplaatsbeginsel != nil {
			w := *a.Woonplaatsbeginsel
			w.RetourCodes = ok
			a.Woonplaatsbeginsel = &w
		}
		return &messages.AntwoordRetour{Std: m.Std, Header: h, Antwoord: &a}, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrCannotAnswer, messages.MessageType(heen.Standard(), heen.Kind()))
}
