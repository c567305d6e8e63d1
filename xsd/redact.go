package xsd

import (
	"regexp"
	"strings"
)

// Redaction of libxml2 schema-validity messages. libxml2 quotes the
// offending value in several messages, e.g.
//
//	Element '{ns}Bsn': [facet 'pattern'] The value '12345' is not accepted by the pattern '[0-9]{9}'.
//	Element '{ns}Datum': '2027-06-31' is not a valid value of the atomic type '{ns}LDT_Datum'.
//
// Values may be personal data, so they are replaced by "(redacted)". The
// approach is a whitelist: the "Element '...'" prefix (a name) is kept with
// its namespace dropped; the value in a known message shape is replaced,
// matching its end at the LAST occurrence of the known tail so a value that
// contains quotes cannot leak; any other message that still has a quote after
// the prefix is cut at that quote.

var (
	prefixRE = regexp.MustCompile(`^Element '([^']*)'(?:, attribute '([^']*)')?: `)
	nsRE     = regexp.MustCompile(`\{[a-zA-Z][a-zA-Z0-9+.-]*:[^{}]*\}`) // {uri}local
	// Tails that follow "The value '<value>" in libxml2's facet messages.
	valueTails = []string{
		"' is not accepted by the pattern ",
		"' is not an element of the set ",
		"' is less than ",
		"' is greater than ",
		"' is less or equal than ",
		"' is greater or equal than ",
		"' has a length of ",
		"' has more digits than ",
		"' has more fractional digits than ",
		"' does not match the ",
		"' is not ",
		"' has ",
		"' of ",
	}
	atomicTail  = "' is not a valid value of "
	facetHeadRE = regexp.MustCompile(`^\[facet '[A-Za-z]+'\] $`)
	// Messages with quotes but no value.
	safeQuoted = []*regexp.Regexp{
		regexp.MustCompile(`^\[facet '[A-Za-z]+'\] The value has a length of '[0-9]+'; this (exceeds|underruns|differs from) the allowed (maximum |minimum )?length of '[0-9]+'\.$`),
		regexp.MustCompile(`^The attribute '[^']*' is required but missing\.$`),
		regexp.MustCompile(`^No matching global declaration available for the validation root\.$`),
	}
)

// Redact returns msg with quoted element and attribute values removed, and
// namespace URIs in braces dropped from element names. See the package doc.
func Redact(msg string) string {
	var b strings.Builder
	rest := msg
	if m := prefixRE.FindStringSubmatch(msg); m != nil {
		b.WriteString("Element '")
		b.WriteString(nsRE.ReplaceAllString(m[1], ""))
		b.WriteString("'")
		if m[2] != "" {
			b.WriteString(", attribute '")
			b.WriteString(nsRE.ReplaceAllString(m[2], ""))
			b.WriteString("'")
		}
		b.WriteString(": ")
		rest = msg[len(m[0]):]
	}
	b.WriteString(redactRest(rest))
	return b.String()
}

func redactRest(rest string) string {
	if !strings.Contains(rest, "'") {
		return nsRE.ReplaceAllString(rest, "")
	}
	for _, re := range safeQuoted {
		if re.MatchString(rest) {
			return rest
		}
	}
	// "[facet 'x'] The value '<v>' <tail>..."
	if i := strings.Index(rest, "The value '"); i >= 0 {
		head := rest[:i]
		if strings.Contains(head, "'") && !facetHeadRE.MatchString(head) {
			return cut(rest)
		}
		after := rest[i+len("The value '"):]
		// The value ends at the rightmost known tail: the text after the
		// real tail comes from the schema, so a tail-like string inside the
		// value can only make the redaction longer, never leak.
		best := -1
		for _, tail := range valueTails {
			if j := strings.LastIndex(after, tail); j > best {
				best = j
			}
		}
		if best >= 0 {
			return head + "The value (redacted)" + nsRE.ReplaceAllString(after[best+1:], "")
		}
		return head + "The value (redacted)."
	}
	// "'<v>' is not a valid value of the atomic type '{ns}LDT_Datum'."
	if strings.HasPrefix(rest, "'") {
		if j := strings.LastIndex(rest, atomicTail); j >= 0 {
			return "(redacted)" + nsRE.ReplaceAllString(rest[j+1:], "")
		}
	}
	return cut(rest)
}

// cut keeps the text before the first quote of a message whose shape is not
// known, so no value can leak.
func cut(s string) string {
	i := strings.IndexByte(s, '\'')
	return nsRE.ReplaceAllString(strings.TrimSpace(s[:i]), "") + " (details redacted)"
}
