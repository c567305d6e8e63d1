package minimise

import (
	"strconv"
	"strings"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// The receiving side's contact rules (controleniveau 2, retourcode 0001 for
// the whole 301; see docs/message-rules.md), applied to what minimisation
// lets out so that it never produces a 301 the provider rejects:
//
//	TR006  a Contact holds a Telefoon and/or an Adres with Huis and Postcode
//	TR061  the Client has a Contact of Soort 01 (BRP), 02 (correspondentie) or 03 (verblijf)

// Codes of the contact rules.
const (
	// CodeTR006: a contact, as the request sends it, holds neither a phone
	// number nor an address with a house number and a postcode.
	CodeTR006 = "TR006"
	// CodeContactRequired: the client has contacts in the request but none
	// of Soort 01, 02 or 03 is left to send (TR061), as sent or because
	// minimisation dropped it.
	CodeContactRequired = "CONTACT_REQUIRED"
)

const clientContacts = "/client/contacts/"

// Leaf patterns the contact rules read.
const (
	patContactKind        = "/client/contacts/*/kind"
	patContactPhone       = "/client/contacts/*/phones/*/number"
	patContactHouseNumber = "/client/contacts/*/address/house_number"
	patContactPostcode    = "/client/contacts/*/address/postcode"
)

// contactState is what one client contact keeps after stripping.
type contactState struct {
	index                  int
	kind                   string
	touched                bool // stripping removed one of its fields
	phone, house, postcode bool // kept: a phone number, a house number, a postcode
	dropped                bool
}

func (s *contactState) filled() bool { return s.phone || (s.house && s.postcode) }

// contactRules applies TR006 and TR061 to the client contacts of a 301
// request whose present leaves are all (document order) after the paths in
// strip are stripped. A contact that stripping leaves without a phone
// number and without a house number with a postcode (TR006) is dropped
// whole: every leaf it keeps, its Soort included, joins the stripped paths,
// which are returned in document order. A contact that breaks TR006 as sent
// refuses (TR006), and so does a request whose contacts leave none of Soort
// 01–03 (CONTACT_REQUIRED).
func contactRules(messageType string, all []leaf, strip []string, problem func(path, code, format string, args ...any)) []string {
	if messageType != "301" {
		return strip
	}
	stripped := make(map[string]bool, len(strip))
	for _, s := range strip {
		stripped[s] = true
	}
	var order []*contactState
	byKey := map[string]*contactState{}
	for _, l := range all {
		key := contactOf(l.path)
		if key == "" {
			continue
		}
		s := byKey[key]
		if s == nil {
			i, _ := strconv.Atoi(strings.TrimPrefix(key, clientContacts))
			s = &contactState{index: i}
			byKey[key] = s
			order = append(order, s)
		}
		if l.pattern == patContactKind {
			s.kind = l.text
		}
		if stripped[l.path] {
			s.touched = true
			continue
		}
		switch l.pattern {
		case patContactPhone:
			s.phone = true
		case patContactHouseNumber:
			s.house = true
		case patContactPostcode:
			s.postcode = true
		}
	}
	dropped := false
	basic := false
	for _, s := range order {
		switch {
		case s.filled():
		case s.touched:
			s.dropped, dropped = true, true
			continue
		default:
			problem(clientContacts+strconv.Itoa(s.index), CodeTR006,
				"contact %d holds neither a phone number nor an address with a house number and a postcode (TR006)", s.index+1)
		}
		switch s.kind {
		case "01", "02", "03", "": // "": REQUIRED_MISSING refuses it already
			basic = true
		}
	}
	if len(order) > 0 && !basic {
		problem("/client/contacts", CodeContactRequired,
			"no contact of kind 01 (BRP), 02 (correspondence) or 03 (residence) is left to send (TR061)")
	}
	if !dropped {
		return strip
	}
	out := make([]string, 0, len(strip)+8)
	for _, l := range all {
		if stripped[l.path] {
			out = append(out, l.path)
		} else if s := byKey[contactOf(l.path)]; s != nil && s.dropped {
			out = append(out, l.path)
		}
	}
	return out
}

// contactOf returns "/client/contacts/N" for a path inside client contact
// N, else "".
func contactOf(path string) string {
	if !strings.HasPrefix(path, clientContacts) {
		return ""
	}
	rest := path[len(clientContacts):]
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return ""
	}
	return clientContacts + rest[:i]
}

// relationContactFilled: TR006 for a relation's contact as it goes out.
func relationContactFilled(c disclosure.Contact) bool {
	for _, p := range c.Phones {
		if p.Number != "" {
			return true
		}
	}
	a := c.Address
	return a != nil && a.HouseNumber != nil && a.Postcode != ""
}
