package signing

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxDepth bounds how deeply elements may nest in a document sluis opens.
// The deepest sluis envelope (Envelope, Bericht, then an iWmo/iJw message)
// nests about a dozen levels; the limit leaves room and keeps every
// recursive walk over the tree shallow.
const MaxDepth = 64

// Errors of CheckBounds (Open wraps them in ErrMalformed as well).
var (
	// ErrTooManyElements: the document has more elements than Open accepts.
	ErrTooManyElements = errors.New("signing: too many elements")
	// ErrTooDeep: elements nest deeper than MaxDepth.
	ErrTooDeep = errors.New("signing: elements nested too deeply")
)

// CheckBounds scans doc's bytes, before any parser builds a tree, and
// refuses a document larger than MaxDocumentBytes, one with more elements
// than an envelope may hold (ErrTooManyElements), one nesting deeper than
// MaxDepth (ErrTooDeep), and any DOCTYPE or other declaration (ErrDoctype).
// It allocates nothing however many elements doc has. It does not check
// well-formedness: for a well-formed document its count is exact, and a
// document it cannot follow is left for the parser to refuse.
func CheckBounds(doc []byte) error {
	if len(doc) > MaxDocumentBytes {
		return errTooLarge
	}
	return scanBounds(doc, maxEnvelopeElements, MaxDepth)
}

var (
	commentOpen  = []byte("<!--")
	commentClose = []byte("-->")
	cdataOpen    = []byte("<![CDATA[")
	cdataClose   = []byte("]]>")
	piClose      = []byte("?>")
)

// scanBounds counts start tags and their nesting in one pass over doc,
// skipping comments, CDATA sections, processing instructions and quoted
// attribute values (the only places where '<' or '>' need not be markup).
func scanBounds(doc []byte, maxElements, maxDepth int) error {
	elements, depth := 0, 0
	for i := 0; i < len(doc); {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := doc[i:]
		switch {
		case bytes.HasPrefix(rest, commentOpen):
			i = skipPast(doc, i+len(commentOpen), commentClose)
		case bytes.HasPrefix(rest, cdataOpen):
			i = skipPast(doc, i+len(cdataOpen), cdataClose)
		case bytes.HasPrefix(rest, []byte("<!")):
			return ErrDoctype
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(doc, i+2, piClose)
		case bytes.HasPrefix(rest, []byte("</")):
			depth--
			i = skipPast(doc, i+2, []byte(">"))
		default:
			elements++
			if elements > maxElements {
				return fmt.Errorf("%w: more than %d", ErrTooManyElements, maxElements)
			}
			end, empty := tagEnd(doc, i+1)
			if !empty {
				depth++
				if depth > maxDepth {
					return fmt.Errorf("%w: deeper than %d", ErrTooDeep, maxDepth)
				}
			}
			i = end
		}
	}
	return nil
}

// skipPast returns the index just after the first close at or after from,
// or len(doc) when there is none.
func skipPast(doc []byte, from int, close []byte) int {
	if from > len(doc) {
		return len(doc)
	}
	k := bytes.Index(doc[from:], close)
	if k < 0 {
		return len(doc)
	}
	return from + k + len(close)
}

// tagEnd finds the '>' closing the start tag whose name begins at from,
// outside quoted attribute values, and reports whether the tag is
// self-closing ("/>").
func tagEnd(doc []byte, from int) (end int, empty bool) {
	var quote byte
	for k := from; k < len(doc); k++ {
		c := doc[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k + 1, k > from && doc[k-1] == '/'
		}
	}
	return len(doc), false
}
