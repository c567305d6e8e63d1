package messages

//go:generate python3 gencodelists.py

// Code is one value of a code list with its meaning (Dutch, as in the
// basisschema documentation).
type Code struct {
	Value   string
	Meaning string
}

// CodeList returns the codes of list name ("Geslacht", "ProductCategorie",
// "RetourCode", …: the LDT_ type name without "LDT_") for std, in XSD order;
// nil when unknown. The returned slice must not be modified.
func CodeList(name string, std Standard) []Code {
	return codeLists[name][std]
}

// CodeListNames returns the names of all code lists.
func CodeListNames() []string {
	out := make([]string, 0, len(codeLists))
	for n := range codeLists {
		out = append(out, n)
	}
	return out
}

func lookupCode(list string, std Standard, v string) (string, bool) {
	for _, c := range codeLists[list][std] {
		if c.Value == v {
			return c.Meaning, true
		}
	}
	return "", false
}

// InCodeList reports whether v is a value of list for std.
func InCodeList(list string, std Standard, v string) bool {
	_, ok := lookupCode(list, std, v)
	return ok
}

// RetourCodes with a role in the protocol (WJ001).
const (
	// RetourTechnisch (0001): the message was rejected for technical
	// reasons (a level-2 rule failed); only the header comes back.
	RetourTechnisch RetourCode = "0001"
	// RetourGeenOpmerking (0200): no remark on this record.
	RetourGeenOpmerking RetourCode = "0200"
	// RetourNietBeoordeeld (0233): record not assessed.
	RetourNietBeoordeeld RetourCode = "0233"
)

// Frequently used codes.
const (
	NaamGebruikNietNatuurlijkPersoon NaamGebruik      = "6" // COD700: not for a Client (CS318)
	CommunicatieTolkTaal             Communicatievorm = "1"
	AdresSoortBRP                    AdresSoort       = "01"
	AdresSoortCorrespondentie        AdresSoort       = "02"
	AdresSoortVerblijf               AdresSoort       = "03"
	AdresSoortTijdelijkVerblijf      AdresSoort       = "04"
	FrequentiePerDag                 Frequentie       = "1"
	FrequentiePerWeek                Frequentie       = "2"
	FrequentiePerMaand               Frequentie       = "4"
	FrequentieTotaal                 Frequentie       = "6"
	RedenWijzigingVervallen          RedenWijziging   = "01" // never to be used (CS336)
	RedenWijzigingVerwijderd         RedenWijziging   = "13"
)
