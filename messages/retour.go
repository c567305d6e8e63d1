package messages

import (
	"fmt"
	"reflect"
	"strconv"
)

// Outcome of a retour, for the whole message or one record.
type Outcome string

const (
	// Accepted: no codes at all (header-only retour, IV028), or only 0200
	// ("geen opmerking").
	Accepted Outcome = "accepted"
	// Rejected: at least one code other than 0200 / 0233; per OP286 one
	// error rejects the whole heenbericht.
	Rejected Outcome = "rejected"
	// TechnicallyRejected: the header carries 0001 ("afgekeurd om technische
	// redenen", a level-2 rule failed).
	TechnicallyRejected Outcome = "technically-rejected"
	// NotAssessed: a record marked 0233 ("niet beoordeeld"), because another
	// record was rejected.
	NotAssessed Outcome = "not-assessed"
)

// CodeResult is one retour code with its meaning (WJ001).
type CodeResult struct {
	Code    RetourCode
	Meaning string // "" when the code is not in the standard's list
}

// RecordResult is the verdict on one berichtklasse in a retour.
type RecordResult struct {
	Path    string // element path, e.g. "Client/ToegewezenProducten/ToegewezenProduct[1]"
	Record  string // element name, e.g. "ToegewezenProduct"
	Key     string // non-personal key when the record has one: ToewijzingNummer, ReferentieAanbieder or Relatie Nummer
	Outcome Outcome
	Codes   []CodeResult
}

// RetourResult is a retour read as per-record results.
type RetourResult struct {
	Standard   Standard
	Kind       string // the retour's kind, e.g. "302"
	AnswersTo  string // the heenbericht kind, e.g. "301"
	Outcome    Outcome
	HeaderCode []CodeResult
	// Identificatie of the heenbericht answered (the header is copied from
	// it, IV028) and the retour's own IdentificatieRetour.
	Identificatie       string
	IdentificatieRetour string
	Records             []RecordResult
}

var answers = map[string]string{"302": "301", "306": "305", "308": "307", "316": "315", "318": "317", "320": "319"}

// ReadRetour turns a retour (302, 306, 308, 316, 318, 320) into its outcome
// and per-record results. Any other message gives ErrUnknownMessage.
func ReadRetour(m Message) (RetourResult, error) {
	if m == nil {
		return RetourResult{}, fmt.Errorf("%w: nil message", ErrUnknownMessage)
	}
	heen, ok := answers[m.Kind()]
	if !ok {
		return RetourResult{}, fmt.Errorf("%w: %s is not a retour", ErrUnknownMessage, MessageType(m.Standard(), m.Kind()))
	}
	std := m.Standard()
	h := m.Head()
	res := RetourResult{
		Standard: std, Kind: m.Kind(), AnswersTo: heen,
		Identificatie:       h.BerichtIdentificatie.Identificatie,
		IdentificatieRetour: h.IdentificatieRetour,
		HeaderCode:          codeResults(std, h.RetourCodes),
	}
	collectRecords(std, reflect.ValueOf(m).Elem(), "", "", &res.Records)
	res.Outcome = Accepted
	if outcomeOf(h.RetourCodes) == Rejected {
		res.Outcome = Rejected
	}
	for _, r := range res.Records {
		if r.Outcome == Rejected {
			res.Outcome = Rejected
		}
	}
	for _, c := range h.RetourCodes {
		if c == RetourTechnisch {
			res.Outcome = TechnicallyRejected
		}
	}
	return res, nil
}

func codeResults(std Standard, codes []RetourCode) []CodeResult {
	out := make([]CodeResult, 0, len(codes))
	for _, c := range codes {
		m, _ := c.Meaning(std)
		out = append(out, CodeResult{Code: c, Meaning: m})
	}
	return out
}

func outcomeOf(codes []RetourCode) Outcome {
	if len(codes) == 0 {
		return Accepted
	}
	o := Accepted
	for _, c := range codes {
		switch c {
		case RetourGeenOpmerking:
		case RetourNietBeoordeeld:
			if o == Accepted {
				o = NotAssessed
			}
		default:
			return Rejected
		}
	}
	return o
}

var retourCodesType = reflect.TypeFor[[]RetourCode]()

// collectRecords appends a RecordResult for every struct below v that has a
// RetourCodes field (the Header excluded).
func collectRecords(std Standard, v reflect.Value, path, name string, out *[]RecordResult) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			collectRecords(std, v.Elem(), path, name, out)
		}
		return
	case reflect.Struct:
	default:
		return
	}
	if _, ok := v.Interface().(Header); ok {
		return
	}
	if rc := v.FieldByName("RetourCodes"); rc.IsValid() && rc.Type() == retourCodesType {
		codes := rc.Interface().([]RetourCode)
		*out = append(*out, RecordResult{
			Path: path, Record: name, Key: recordKey(v),
			Outcome: outcomeOf(codes), Codes: codeResults(std, codes),
		})
	}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		p := joinPath(path, f.wrapper, f.name)
		if fv.Kind() == reflect.Slice {
			for i := 0; i < fv.Len(); i++ {
				collectRecords(std, fv.Index(i), fmt.Sprintf("%s[%d]", p, i+1), f.name, out)
			}
			continue
		}
		collectRecords(std, fv, p, f.name, out)
	}
}

func recordKey(v reflect.Value) string {
	if f := v.FieldByName("ToewijzingNummer"); f.IsValid() {
		switch f.Kind() {
		case reflect.Int:
			return "ToewijzingNummer " + strconv.FormatInt(f.Int(), 10)
		case reflect.Pointer:
			if !f.IsNil() {
				return "ToewijzingNummer " + strconv.FormatInt(f.Elem().Int(), 10)
			}
		}
	}
	if f := v.FieldByName("ReferentieAanbieder"); f.IsValid() && f.String() != "" {
		return "ReferentieAanbieder " + f.String()
	}
	if _, ok := v.Interface().(Relatie); ok {
		return "Relatie " + v.FieldByName("Nummer").String()
	}
	return ""
}
