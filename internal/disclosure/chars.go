package disclosure

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Character rules. encoding/json replaces invalid UTF-8 and lone surrogate
// escapes with U+FFFD without a word, and XML 1.0 cannot carry most control
// characters, so the raw request text is checked before anything decodes it.
const (
	RuleUTF8         = "char:utf8"         // bytes that are not UTF-8
	RuleControl      = "char:control"      // U+0000–U+001F except tab, LF, CR; U+007F–U+009F
	RuleSurrogate    = "char:surrogate"    // a \uD800–\uDFFF escape not part of a pair
	RuleNoncharacter = "char:noncharacter" // U+FFFE, U+FFFF: not XML characters
)

// charProblems scans the JSON text of a request and reports every string
// (by JSON pointer) holding a character the contract refuses. It reads the
// text as JSON only as far as it needs to find strings and their paths; a
// syntax error ends the scan, leaving the report to the JSON check that
// follows.
func charProblems(data []byte) []Problem {
	s := scanner{data: data}
	s.run()
	return s.problems
}

type frame struct {
	object bool
	key    string
	index  int
	// wantKey: inside an object, the next string is a key.
	wantKey bool
}

type scanner struct {
	data     []byte
	pos      int
	stack    []frame
	problems []Problem
	seen     map[string]bool
}

func (s *scanner) run() {
	if !utf8.Valid(s.data) {
		// Find the strings that hold the bad bytes; bytes outside strings are
		// a syntax error anyway.
		defer func() {
			if len(s.problems) == 0 {
				s.add("", RuleUTF8, "request is not valid UTF-8")
			}
		}()
	}
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch c {
		case '{':
			s.stack = append(s.stack, frame{object: true, wantKey: true})
		case '[':
			s.stack = append(s.stack, frame{})
		case '}', ']':
			if len(s.stack) == 0 {
				return
			}
			s.stack = s.stack[:len(s.stack)-1]
		case ',':
			if len(s.stack) == 0 {
				return
			}
			top := &s.stack[len(s.stack)-1]
			if top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		case '"':
			s.pos++
			if !s.str() {
				return
			}
			continue
		}
		s.pos++
	}
}

// str reads a string starting after its opening quote, checks its
// characters and, when it is a key, records it. It returns false at the end
// of the input.
func (s *scanner) str() bool {
	isKey := len(s.stack) > 0 && s.stack[len(s.stack)-1].object && s.stack[len(s.stack)-1].wantKey
	var key strings.Builder
	var bad []string // rules broken, in order of first appearance
	flag := func(rule string) {
		for _, b := range bad {
			if b == rule {
				return
			}
		}
		bad = append(bad, rule)
	}
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if len(bad) > 0 {
				// The path is built only for a problem: most strings
				// have none.
				path := pointer(s.stack)
				if isKey {
					// A bad field name is reported at its object, so the
					// path never carries the bad characters.
					path = pointer(s.stack[:len(s.stack)-1])
				}
				for _, rule := range bad {
					s.add(path, rule, ruleMessage[rule])
				}
			}
			if isKey {
				top := &s.stack[len(s.stack)-1]
				top.key, top.wantKey = key.String(), false
			}
			return true
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				return false
			}
			if s.data[s.pos+1] != 'u' {
				e := unescape(s.data[s.pos+1])
				if rule := charRule(rune(e)); rule != "" {
					flag(rule) // \b, \f
				}
				if isKey {
					key.WriteByte(e)
				}
				s.pos += 2
				continue
			}
			r, ok := s.hex(s.pos + 2)
			if !ok {
				return false
			}
			s.pos += 6
			if utf16.IsSurrogate(r) {
				r2, ok2 := s.hex(s.pos + 2)
				if r < 0xDC00 && ok2 && s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' && r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = utf16.DecodeRune(r, r2)
					s.pos += 6
				} else {
					flag(RuleSurrogate)
					continue
				}
			}
			if rule := charRule(r); rule != "" {
				flag(rule)
			}
			if isKey {
				key.WriteRune(r)
			}
		default:
			r, n := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && n == 1 {
				flag(RuleUTF8)
			} else if rule := charRule(r); rule != "" {
				flag(rule)
			}
			if isKey {
				key.Write(s.data[s.pos : s.pos+n])
			}
			s.pos += n
		}
	}
	return false
}

// hex reads the four hex digits of a \u escape at i.
func (s *scanner) hex(i int) (rune, bool) {
	if i+4 > len(s.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	}
	return c
}

// charRule names the rule a decoded character breaks, "" when it is allowed.
// Tab, line feed and carriage return are XML characters; whether a field may
// hold a line break is its pattern's business.
func charRule(r rune) string {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return ""
	case r < 0x20 || (r >= 0x7F && r <= 0x9F):
		return RuleControl
	case r == 0xFFFE || r == 0xFFFF:
		return RuleNoncharacter
	}
	return ""
}

var ruleMessage = map[string]string{
	RuleUTF8:         "holds bytes that are not UTF-8",
	RuleControl:      "holds a control character (only tab, line feed and carriage return are allowed)",
	RuleSurrogate:    "holds a lone UTF-16 surrogate escape",
	RuleNoncharacter: "holds U+FFFE or U+FFFF, which XML cannot carry",
}

// pointerEscape escapes a key as a JSON pointer's reference token (RFC 6901).
var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

// pointer is the JSON pointer of the value being read in stack.
func pointer(stack []frame) string {
	var b strings.Builder
	for _, f := range stack {
		b.WriteByte('/')
		if f.object {
			b.WriteString(pointerEscape.Replace(f.key))
		} else {
			b.WriteString(strconv.Itoa(f.index))
		}
	}
	return b.String()
}

// add records a problem once per path and rule.
func (s *scanner) add(path, rule, msg string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[path+"\x00"+rule] {
		return
	}
	s.seen[path+"\x00"+rule] = true
	s.problems = append(s.problems, Problem{Path: path, Rule: rule, Message: msg})
}
