package messages

import (
	"strings"
	"unicode/utf8"
)

// Header rules (RS047, CS025, CS015, RS035, RS036, RS033, RS017, RS048,
// TR135); see rules.go for the list.

func (c *checker) header(m Message) {
	h := m.Head()
	kind := m.Kind()
	if h.BerichtCode != BerichtCode(c.std, kind) {
		c.add("RS047", "Header/BerichtCode", "does not match "+MessageType(c.std, kind))
	}
	if h.BerichtVersie != 3 {
		c.add("CS025", "Header/BerichtVersie", "must be 3")
	}
	if h.BerichtSubversie != 2 {
		c.add("CS015", "Header/BerichtSubversie", "must be 2")
	}
	if gemeenteSender[kind] {
		c.gemeente("Header/Afzender", h.Afzender)
		c.agb("Header/Ontvanger", h.Ontvanger)
	} else {
		c.agb("Header/Afzender", h.Afzender)
		c.gemeente("Header/Ontvanger", h.Ontvanger)
	}
	c.identificatie("Header/BerichtIdentificatie/Identificatie", h.BerichtIdentificatie.Identificatie)
	c.dagtekening("Header/BerichtIdentificatie/Dagtekening", h.BerichtIdentificatie.Dagtekening)
	c.xsdVersie("Header/XsdVersie", &h.XsdVersie)
	if retourKinds[kind] {
		c.identificatie("Header/IdentificatieRetour", h.IdentificatieRetour)
		c.dagtekening("Header/DagtekeningRetour", h.DagtekeningRetour)
		if h.XsdVersieRetour == nil {
			c.add("XSD", "Header/XsdVersieRetour", "required in a retour")
		} else {
			c.xsdVersie("Header/XsdVersieRetour", h.XsdVersieRetour)
		}
		if h.XsltVersie != "" && !versiePattern.MatchString(h.XsltVersie) {
			c.add("RS048", "Header/XsltVersie", "must be n.n.n")
		}
	}
	if kind == "325" {
		if h.DeclaratieIdentificatie == nil {
			c.add("XSD", "Header/DeclaratieIdentificatie", "required in a 325")
		} else {
			c.identificatie("Header/DeclaratieIdentificatie/Identificatie", h.DeclaratieIdentificatie.Identificatie)
		}
		if h.XsdVersieDeclaratie == nil {
			c.add("XSD", "Header/XsdVersieDeclaratie", "required in a 325")
		} else {
			c.xsdVersie("Header/XsdVersieDeclaratie", h.XsdVersieDeclaratie)
		}
		if len(h.RetourCodes) == 0 {
			c.add("XSD", "Header/RetourCodes", "required in a 325")
		}
	}
	if !retourKinds[kind] && kind != "325" {
		if h.IdentificatieRetour != "" || !h.DagtekeningRetour.IsZero() || h.XsdVersieRetour != nil || len(h.RetourCodes) > 0 || h.XsltVersie != "" {
			c.add("XSD", "Header", "retour fields in a heenbericht")
		}
	}
	if kind != "325" && (h.DeclaratieIdentificatie != nil || h.XsdVersieDeclaratie != nil) {
		c.add("XSD", "Header", "325 fields in another message")
	}
}

func (c *checker) identificatie(path, id string) {
	switch {
	case strings.TrimSpace(id) == "":
		c.add("RS033", path, "empty")
	case utf8.RuneCountInString(id) > 12:
		c.add("RS017", path, "longer than 12 characters")
	}
}

func (c *checker) gemeente(path, v string) {
	if !ValidGemeentecode(v) {
		c.add("RS035", path, "must be a gemeentecode of 4 digits")
	}
}

func (c *checker) agb(path, v string) {
	if !ValidAGB(v) {
		c.add("RS036", path, "must be an AGB code of 8 digits")
	}
}

func (c *checker) dagtekening(path string, d Date) {
	switch {
	case d.IsZero():
		c.add("TR135", path, "required")
	case !d.Valid():
		c.add("XSD", path, "not an existing calendar date")
	case d.After(c.today):
		c.add("TR135", path, "lies after today")
	}
}

func (c *checker) xsdVersie(path string, v *XsdVersie) {
	if !versiePattern.MatchString(v.BasisschemaXsdVersie) {
		c.add("RS048", path+"/BasisschemaXsdVersie", "must be n.n.n")
	}
	if !versiePattern.MatchString(v.BerichtXsdVersie) {
		c.add("RS048", path+"/BerichtXsdVersie", "must be n.n.n")
	}
}
