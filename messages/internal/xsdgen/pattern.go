package xsdgen

import (
	"fmt"
	"strings"
)

// TranslatePattern turns an XSD regular expression (implicitly anchored,
// XSD 1.0 Appendix F) into Go regexp syntax, without the anchors: "." is
// any character but \n and \r, \s and \S are the XML whitespace classes,
// and ^ and $ are ordinary characters. Escapes outside these are refused.
func TranslatePattern(x string) (string, error) {
	var b strings.Builder
	inClass := false
	rs := []rune(x)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\':
			if i+1 >= len(rs) {
				return "", fmt.Errorf("pattern ends in a backslash")
			}
			i++
			switch e := rs[i]; e {
			case 's':
				if inClass {
					b.WriteString(`\t\n\r `)
				} else {
					b.WriteString(`[\t\n\r ]`)
				}
			case 'S':
				if inClass {
					return "", fmt.Errorf(`\S inside a character class is not supported`)
				}
				b.WriteString(`[^\t\n\r ]`)
			case '.', '-', '\\', '[', ']', '(', ')', '{', '}', '*', '+', '?', '|', '^':
				b.WriteRune('\\')
				b.WriteRune(e)
			default:
				return "", fmt.Errorf(`unsupported escape \%c`, e)
			}
		case inClass:
			if r == ']' {
				inClass = false
			}
			b.WriteRune(r)
		case r == '[':
			inClass = true
			b.WriteRune(r)
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
		case r == '.':
			b.WriteString(`[^\n\r]`)
		case r == '^' || r == '$':
			b.WriteRune('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if inClass {
		return "", fmt.Errorf("unclosed character class")
	}
	return b.String(), nil
}
