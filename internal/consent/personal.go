package consent

import (
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/textscan"
)

// namesClient reports whether free text identifies the client: a word of
// the client's surname, partner surname or given names, the BSN or the
// birth date (textscan.Text.Identifies, the detector the free-text check of
// internal/minimise uses too).
func namesClient(text string, c disclosure.Client) bool {
	if text == "" {
		return false
	}
	p := textscan.NewPerson(c.BirthDate, c.BSN, c.Name.Surname, c.Name.PartnerSurname, c.Name.GivenNames)
	return textscan.Read(text).Identifies(p)
}
