package minimise

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluis-gateway/sluis/internal/category"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/textscan"
)

// Problem and notice codes. Stable: senders and dashboards depend on them.
const (
	CodeProfileMismatch    = "PROFILE_MISMATCH"     // the request's standard, message type or purpose is not the profile's
	CodeFieldNotInProfile  = "FIELD_NOT_IN_PROFILE" // no rule covers the field and the profile refuses extras
	CodeFieldNeverSent     = "FIELD_NEVER_SENT"     // a rule says never
	CodeRequiredMissing    = "REQUIRED_MISSING"     // a required field is absent
	CodeCategoryNotCovered = "CATEGORY_NOT_COVERED" // the basis (consent) does not cover the field's category
	CodeFreeTextBSN        = "FREETEXT_BSN"         // 9 digits passing the 11-proef
	CodeFreeTextPhone      = "FREETEXT_PHONE"
	CodeFreeTextEmail      = "FREETEXT_EMAIL"
	CodeFreeTextPostcode   = "FREETEXT_POSTCODE"   // a Dutch postcode next to a house number
	CodeFreeTextName       = "FREETEXT_NAME"       // a name of a person in the request the basis does not cover free text about
	CodeFreeTextBirthDate  = "FREETEXT_BIRTH_DATE" // a birth date of such a person
	CodeFreeTextTooLong    = "FREETEXT_TOO_LONG"
	CodeCS318              = "CS318"              // NaamGebruik 6 (niet-natuurlijk persoon) for the client
	CodeOP002x2            = "OP002X2"            // iJw: the client is sent as their own relation
	CodeRelationIsClient   = "RELATION_IS_CLIENT" // iWmo: the same
	CodeOP130              = "OP130"              // a relation without a name, or without a full address and no phone
	CodeInternal           = "CHECK_FAILED"       // the request could not be copied (never expected)

	// NoticeOP002 (iJw, not a refusal): the client is a minor and no
	// relation of kind 10 (ouder) or 11 (voogd) is sent. OP002 wants the
	// gezagsdrager in the toewijzing, unless the provider said in its VOT
	// that it knows them (OP002x1), which the request cannot tell.
	NoticeOP002 = "OP002"
)

// Codes lists every refusal code of minimisation (the problem codes above
// and those of the contact rules), in the order of docs/minimisation.md
// "Codes" (a test keeps the two equal). Metrics use it as their bounded
// label set.
var Codes = []string{
	CodeProfileMismatch, CodeFieldNotInProfile, CodeFieldNeverSent, CodeRequiredMissing,
	CodeCategoryNotCovered, CodeFreeTextBSN, CodeFreeTextPhone, CodeFreeTextEmail,
	CodeFreeTextPostcode, CodeFreeTextName, CodeFreeTextBirthDate, CodeFreeTextTooLong,
	CodeCS318, CodeOP002x2, CodeRelationIsClient, CodeOP130, CodeTR006, CodeContactRequired,
	CodeInternal,
}

// Basis is what the legal basis of a disclosure covers, as minimisation
// needs it. Build it with BasisOf.
type Basis struct {
	// Kind is the request's legal_basis.kind.
	Kind string
	// Covered are the data categories the basis covers. nil means the basis
	// is not limited by consent categories (legal obligation, safety
	// override); an empty non-nil slice covers nothing.
	Covered []category.Category
	// FreeTextAbout names the persons the basis covers free text about:
	// "client", "relation 1", "relation 2", ... (1-based request order).
	// Names and birth dates of other persons in free text refuse.
	FreeTextAbout []string
	// On is the moment of the share, for the client's age (NoticeOP002).
	// Zero: the latest assigned_on of the products.
	On time.Time
}

// Problem is one reason a disclosure is refused (or, in Result.Notices, a
// remark that does not refuse). Path is a JSON pointer into the request;
// Message names fields and persons by position, never by value.
type Problem struct {
	Path    string `json:"path"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Result is the outcome of Check.
type Result struct {
	Allowed bool
	// Request is the checked copy: the input minus stripped fields. It is
	// the only input composition may take. Set only when Allowed.
	Request disclosure.Request
	// Stripped lists the JSON paths removed from the request, in document
	// order (also when refused, for the record).
	Stripped []string
	// Problems are the refusal reasons; empty when Allowed.
	Problems []Problem
	// Notices are remarks that do not refuse (NoticeOP002).
	Notices []Problem
	// Profile is the profile used, name@version.
	Profile string
	// Categories are the distinct data categories of the fields that go
	// (after stripping), sorted: what the access report names
	// (docs/client-rights.md).
	Categories []category.Category
}

// Codes returns the distinct problem codes, in order of first appearance.
func (r Result) Codes() []string {
	var out []string
	for _, p := range r.Problems {
		if !slices.Contains(out, p.Code) {
			out = append(out, p.Code)
		}
	}
	return out
}

// Sentence is a plain sentence for a status event or the record: what was
// refused or stripped, by path and code. It holds no request values.
func (r Result) Sentence() string {
	var b strings.Builder
	if r.Allowed {
		fmt.Fprintf(&b, "Minimisation (%s): allowed", r.Profile)
	} else {
		fmt.Fprintf(&b, "Minimisation (%s): refused", r.Profile)
		parts := make([]string, 0, len(r.Problems))
		for _, p := range r.Problems {
			parts = append(parts, p.Path+" "+p.Code)
		}
		b.WriteString(": " + strings.Join(parts, "; "))
	}
	if len(r.Stripped) > 0 {
		fmt.Fprintf(&b, "; stripped %d field(s): %s", len(r.Stripped), strings.Join(r.Stripped, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// leaf is a present data field of the request.
type leaf struct {
	path    string // concrete, /client/contacts/0/email
	pattern string // /client/contacts/*/email
	text    string // the value of a string field (free text is read from it)
}

// Check checks request req against profile p and basis b. Pure; req is not
// modified.
//
// In order: the profile must be for the request's standard, message type
// and purpose; every present field is looked up in the profile (never →
// FIELD_NEVER_SENT; strip, or not covered with on_extra strip → removed;
// not covered otherwise → FIELD_NOT_IN_PROFILE); a client contact the
// stripping leaves without a phone and without a house number with a
// postcode is dropped whole (TR006), and one that breaks TR006 as sent
// refuses (TR006), as does a client left without a contact of kind 01-03
// (CONTACT_REQUIRED, TR061); then, on the copy without the stripped fields:
// required fields (REQUIRED_MISSING), categories the basis covers
// (CATEGORY_NOT_COVERED), free text (length, BSN, phone, e-mail, postcode
// with house number, names and birth dates of persons the basis does not
// cover free text about) and the iStandaarden prohibitions (CS318, OP002x2,
// OP130, TR006 for a relation's contact). Every problem is reported, not
// only the first.
//
// The request is read as its JSON form (contract v1): a field is present
// when its JSON value is a non-empty string, true, or a number, and paths
// are JSON pointers in the JSON key order. Check walks the typed request
// directly (see view.go) and returns what a JSON round trip would: the
// checked copy shares no memory with req.
//
// p must be a valid profile (from Embedded, Load or ParseProfile, or one
// that passed Validate); Check does not validate it again.
func Check(req disclosure.Request, p Profile, b Basis) Result {
	res := Result{Profile: p.Key()}
	problem := func(path, code, format string, args ...any) {
		p := Problem{Path: path, Code: code, Message: fmt.Sprintf(format, args...)}
		if !slices.Contains(res.Problems, p) {
			res.Problems = append(res.Problems, p)
		}
	}

	if req.Standard != p.Standard {
		problem("/standard", CodeProfileMismatch, "the profile is for another standard")
	}
	if req.MessageType != p.MessageType {
		problem("/message_type", CodeProfileMismatch, "the profile is for another message type")
	}
	if req.Purpose != p.Purpose {
		problem("/purpose", CodeProfileMismatch, "the profile is for another purpose")
	}

	checked, err := jsonCopy(req)
	if err != nil {
		problem("", CodeInternal, "the request could not be copied for checking")
		return res
	}
	v := &view{}
	root := reflect.ValueOf(&checked).Elem()

	// 1. Every present field against the profile.
	var strip []string
	relLeaves := map[string]int{} // "/client/relations/N" -> data fields
	relStripped := map[string]int{}
	all := v.leaves(root)
	for _, l := range all {
		f, known := lookupField(l.pattern)
		if known && f.Control {
			continue
		}
		rel := relationOf(l.path)
		if rel != "" {
			relLeaves[rel]++
		}
		if !known {
			problem(l.path, CodeFieldNotInProfile, "the field is not in the request contract the profiles know")
			continue
		}
		switch use := p.useOf(l.pattern); use {
		case UseRequired, UseAllowed:
		case UseNever:
			problem(l.path, CodeFieldNeverSent, "the profile never sends this field")
		case UseStrip:
			strip = append(strip, l.path)
			relStripped[rel]++
		default:
			if p.onExtra() == ExtraStrip {
				strip = append(strip, l.path)
				relStripped[rel]++
			} else {
				problem(l.path, CodeFieldNotInProfile, "the field is not in the purpose profile")
			}
		}
	}
	// The receiving side's contact rules (TR006, TR061): a contact stripped
	// unusable is dropped whole.
	strip = contactRules(req.MessageType, all, strip, problem)
	res.Stripped = strip
	if len(strip) > 0 {
		v.removeAll(root, strip)
	}

	// 2. Required fields, on the checked copy.
	for _, r := range p.Fields {
		if r.Use != UseRequired {
			continue
		}
		for _, missing := range v.missingRequired(root, r.Path) {
			problem(missing, CodeRequiredMissing, "the profile requires this field")
		}
	}

	// 3. Categories the basis covers.
	present := all // nothing stripped: the checked copy has the same leaves
	if len(strip) > 0 {
		present = v.leaves(root)
	}
	for _, l := range present {
		if f, ok := lookupField(l.pattern); ok && !f.Control && !slices.Contains(res.Categories, f.Category) {
			res.Categories = append(res.Categories, f.Category)
		}
	}
	slices.Sort(res.Categories)
	if b.Covered != nil {
		for _, l := range present {
			f, ok := lookupField(l.pattern)
			if !ok || f.Control {
				continue
			}
			if !slices.Contains(b.Covered, f.Category) {
				problem(l.path, CodeCategoryNotCovered, "the basis does not cover data category %s", f.Category)
			}
		}
	}

	// 4. Free text. Persons come from the original request: a name of a
	// stripped relation is personal data too.
	var people []person
	var about map[string]bool
	for _, l := range present {
		f, ok := lookupField(l.pattern)
		if !ok || f.Category != category.FreeText {
			continue
		}
		if people == nil {
			people = personsOf(req)
			about = map[string]bool{}
			for _, a := range b.FreeTextAbout {
				about[a] = true
			}
		}
		text := l.text
		limit, has := p.FreeText[l.pattern]
		if !has {
			limit = MaxFreeText
		}
		if n := utf8.RuneCountInString(text); n > limit {
			problem(l.path, CodeFreeTextTooLong, "the free text has %d characters; the profile allows %d", n, limit)
		}
		for _, hit := range scanFreeText(text, people, about) {
			problem(l.path, hit.code, "%s", hit.message)
		}
	}

	// 5. iStandaarden prohibitions on what a gemeente sends.
	// The relations that survived stripping, by their index in req.
	var survivors []int
	for i := range req.Client.Relations {
		k := "/client/relations/" + strconv.Itoa(i)
		if relLeaves[k] > relStripped[k] {
			survivors = append(survivors, i)
		}
	}
	prohibitions(req, checked, survivors, b, problem, &res)

	if len(res.Problems) == 0 {
		res.Allowed = true
		res.Request = checked
	}
	return res
}

// prohibitions applies the iStandaarden rules to what goes out (checked).
// survivors[k] is the index in orig of checked relation k; paths point into
// orig, and the client-as-relation test reads orig (a stripped birth date
// does not make the client someone else).
func prohibitions(orig, checked disclosure.Request, survivors []int, b Basis, problem func(path, code, format string, args ...any), res *Result) {
	c := checked.Client
	if c.Name.NameUsage == "6" {
		problem("/client/name/name_usage", CodeCS318, "NaamGebruik 6 (niet-natuurlijk persoon) is not allowed for a client (CS318)")
	}
	selfCode := CodeRelationIsClient
	if checked.Standard == "iJw" {
		selfCode = CodeOP002x2
	}
	hasGezagsdrager := false
	for k, rel := range c.Relations {
		i := k
		if k < len(survivors) {
			i = survivors[k]
		}
		at := fmt.Sprintf("/client/relations/%d", i)
		if rel.Kind == "10" || rel.Kind == "11" {
			hasGezagsdrager = true
		}
		if i < len(orig.Client.Relations) && isSamePerson(orig.Client.Relations[i], orig.Client) {
			problem(at, selfCode, "relation %d is the client; the client is not sent as their own relation (OP002x2)", i+1)
		}
		switch {
		case strings.TrimSpace(rel.Name.Surname) == "":
			problem(at+"/name/surname", CodeOP130, "relation %d has no name (OP130)", i+1)
		case !fullAddress(rel.Contact.Address) && len(rel.Contact.Phones) == 0:
			problem(at+"/contact", CodeOP130, "relation %d has neither a full address nor a phone number (OP130)", i+1)
		case !relationContactFilled(rel.Contact):
			problem(at+"/contact", CodeTR006, "the contact of relation %d holds neither a phone number nor an address with a house number and a postcode (TR006)", i+1)
		}
	}
	if checked.Standard == "iJw" && !hasGezagsdrager && isMinor(c.BirthDate, c.BirthDateUsage, checked, b.On) {
		res.Notices = append(res.Notices, Problem{
			Path:    "/client/relations",
			Code:    NoticeOP002,
			Message: "the client is a minor and no parent or guardian is sent as relation; OP002 asks for the gezagsdrager unless the provider said in its request for assignment that it knows them (OP002x1)",
		})
	}
}

// relationOf returns "/client/relations/N" for a path inside relation N,
// else "".
func relationOf(path string) string {
	const pre = "/client/relations/"
	if !strings.HasPrefix(path, pre) {
		return ""
	}
	rest := path[len(pre):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return pre + rest
}

// isSamePerson: same surname (case- and accent-insensitive) and the same
// birth date, both filled.
func isSamePerson(rel disclosure.Relation, c disclosure.Client) bool {
	if rel.BirthDate == "" || rel.BirthDate != c.BirthDate {
		return false
	}
	a, b := textscan.Fold(strings.TrimSpace(rel.Name.Surname)), textscan.Fold(strings.TrimSpace(c.Name.Surname))
	return a != "" && a == b
}

// fullAddress: a house number and either a postcode or street and city.
func fullAddress(a *disclosure.Address) bool {
	if a == nil || a.HouseNumber == nil {
		return false
	}
	return a.Postcode != "" || (a.Street != "" && a.City != "")
}

// alwaysMandatoryUnder reports whether the rule covers a field the 301
// always needs (so an empty array above it is a missing field, not an
// absent optional group).
func alwaysMandatoryUnder(rule string) bool {
	for _, f := range fieldTable {
		if f.Mandatory == Always && hasPrefix(f.Path, rule) && strings.Contains(f.Path, "/*/") {
			return true
		}
	}
	return false
}
