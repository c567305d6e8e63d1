package messages

// Product rules (CD041, CD075–CD080, CD095, CD096, CS338, CS343, CS003)
// of toegewezen, aangevraagd, nieuw and te wijzigen products.

var cutoff2020 = Date{2020, 12, 31}

// productFields are the elements the product conditions look at; the
// records name them differently (Einddatum, ToewijzingEinddatum, …).
type productFields struct {
	product        *Product
	omvang         *Omvang
	budget         *int
	ingang, eind   Date
	eindName       string
	requireProduct bool   // CD079 applies
	cd080          string // code of "no Omvang without Product/Code", "" if n/a
	cs338          string // code of the Eenheid/Frequentie constraint
}

// product applies CD041, CD075–CD079, CD080 (CD095, CD096), CS338 (CS343)
// and CS003 to a toegewezen, aangevraagd, nieuw or te wijzigen product.
func (c *checker) product(path string, p productFields) {
	if p.omvang != nil && p.budget != nil {
		c.add("CD077", path+"/Omvang", "not allowed together with Budget")
		c.add("CD078", path+"/Budget", "not allowed together with Omvang")
	}
	if p.budget != nil && p.eind.IsZero() {
		c.add("CD075", path+"/"+p.eindName, "required when Budget is filled")
	}
	if p.omvang != nil && p.omvang.Frequentie == FrequentiePerWeek && p.eind.IsZero() {
		c.add("CD076", path+"/"+p.eindName, "required when Frequentie is 2 (per week)")
	}
	if p.requireProduct && p.budget == nil && p.product == nil {
		c.add("CD079", path+"/Product", "required when Budget is empty")
	}
	openOrAfter2020 := p.eind.IsZero() || p.eind.After(cutoff2020)
	if p.requireProduct {
		codeFilled := p.product != nil && p.product.Code != ""
		if codeFilled && p.omvang == nil {
			c.add("CD041", path+"/Omvang", "required when Product/Code is filled")
		}
		if p.cd080 != "" && !codeFilled && p.omvang != nil && openOrAfter2020 {
			c.add(p.cd080, path+"/Omvang", "not allowed when Product/Code is empty")
		}
	}
	if p.omvang != nil && openOrAfter2020 {
		switch p.omvang.Eenheid {
		case "14", "16", "83", "84":
			switch p.omvang.Frequentie {
			case "2", "4", "6":
			default:
				c.add(p.cs338, path+"/Omvang/Frequentie", "must be 2, 4 or 6 for Eenheid 14, 16, 83 or 84")
			}
		}
	}
	c.period(path+"/"+p.eindName, p.ingang, p.eind)
}
