// Package category names the categories of personal data a disclosure can
// carry. A consent covers categories; screening compares the categories a
// request carries (Of) with those its consents cover. Pure, no I/O.
package category

import (
	"errors"
	"slices"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// Category is a kind of personal data in a disclosure.
type Category string

// The categories. The comment says which request fields each one covers.
const (
	// Identification: client.bsn, birth_date, birth_date_usage, gender, name.
	Identification Category = "identification"
	// Contact: client.contacts (addresses, phones, e-mail, organisation).
	Contact Category = "contact"
	// Relations: client.relations, the persons around the client, with
	// everything about them (their name, birth date and contact details).
	Relations Category = "relations"
	// LegalStatus: client.legal_status and client.representation.
	LegalStatus Category = "legal_status"
	// Communication: client.communication (special form of communication,
	// language).
	Communication Category = "communication"
	// CareAssignment: assignment.products: product, dates, volume, budget,
	// provider reference, change reason.
	CareAssignment Category = "care_assignment"
	// FreeText: client.comment and assignment.products[].comment.
	FreeText Category = "free_text"
)

// ErrUnknown is returned by Parse for text that names no category.
var ErrUnknown = errors.New("unknown data category")

var all = []Category{CareAssignment, Communication, Contact, FreeText, Identification, LegalStatus, Relations}

// All returns every category, sorted by name. The slice is a fresh copy.
func All() []Category { return slices.Clone(all) }

// Parse returns the category named s (its exact lower-case value).
func Parse(s string) (Category, error) {
	c := Category(s)
	if slices.Contains(all, c) {
		return c, nil
	}
	return "", ErrUnknown
}

// Valid reports whether c is one of the categories.
func (c Category) Valid() bool { return slices.Contains(all, c) }

// Of returns the categories request r carries, sorted by name, without
// duplicates. A category is carried when any of its fields holds a value;
// identification is carried whenever the client has a BSN, birth date,
// gender or name (in a valid request: always).
func Of(r disclosure.Request) []Category {
	c := r.Client
	var out []Category
	add := func(ok bool, cat Category) {
		if ok {
			out = append(out, cat)
		}
	}
	add(len(r.Assignment.Products) > 0, CareAssignment)
	add(c.Communication != nil, Communication)
	add(len(c.Contacts) > 0, Contact)
	add(hasFreeText(r), FreeText)
	add(c.BSN != "" || c.BirthDate != "" || c.Gender != "" || c.Name != (disclosure.Name{}), Identification)
	add(c.LegalStatus != "" || c.Representation != "", LegalStatus)
	add(len(c.Relations) > 0, Relations)
	return out // built in the sorted order of all
}

func hasFreeText(r disclosure.Request) bool {
	if r.Client.Comment != "" {
		return true
	}
	for _, p := range r.Assignment.Products {
		if p.Comment != "" {
			return true
		}
	}
	return false
}
