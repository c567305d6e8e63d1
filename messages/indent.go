package messages

import (
	"bytes"

	"github.com/beevik/etree"
)

// Build's output used to be written by etree's Document.Indent(2) followed
// by Document.WriteTo. Indent inserts a character-data token per line and
// WriteTo builds every prefixed tag name as a new string; the functions
// here write the same bytes straight from the tree, leaving it unchanged.
// TestIndentedWriterMatchesEtree pins the equality.

// indentSpaces is the indentation per level (Indent(2)).
const indentSpaces = 2

// stripIndent returns children without whitespace-only character data
// (etree's Element.stripIndent with PreserveLeafWhitespace false). It
// returns children itself when there is nothing to drop.
func stripIndent(children []etree.Token) []etree.Token {
	for i, c := range children {
		if cd, ok := c.(*etree.CharData); ok && cd.IsWhitespace() {
			kept := make([]etree.Token, i, len(children))
			copy(kept, children[:i])
			for _, c := range children[i+1:] {
				if cd, ok := c.(*etree.CharData); ok && cd.IsWhitespace() {
					continue
				}
				kept = append(kept, c)
			}
			return kept
		}
	}
	return children
}

// writeIndentedChildren writes children (already stripped) of an element
// that etree's Element.indent is called on with depth, with the
// indentation indent would insert (LF, 2 spaces a level).
func writeIndentedChildren(w *bytes.Buffer, children []etree.Token, depth int, s *etree.WriteSettings) {
	isCharData, firstNonCharData := false, true
	for _, c := range children {
		_, isCharData = c.(*etree.CharData)
		if !isCharData {
			if !firstNonCharData || depth > 0 {
				writeIndent(w, depth)
			}
			firstNonCharData = false
		}
		if ce, ok := c.(*etree.Element); ok {
			writeIndentedElement(w, ce, depth+1, s)
		} else {
			c.WriteTo(w, s)
		}
	}
	if !isCharData && (!firstNonCharData || depth > 0) {
		writeIndent(w, depth-1)
	}
}

// writeIndentedElement writes el as Element.WriteTo would after
// el.indent(depth).
func writeIndentedElement(w *bytes.Buffer, el *etree.Element, depth int, s *etree.WriteSettings) {
	w.WriteByte('<')
	writeTag(w, el)
	for i := range el.Attr {
		w.WriteByte(' ')
		el.Attr[i].WriteTo(w, s)
	}
	children := stripIndent(el.Child)
	if len(children) == 0 {
		if s.CanonicalEndTags {
			w.WriteString("></")
			writeTag(w, el)
			w.WriteByte('>')
		} else {
			w.WriteString("/>")
		}
		return
	}
	w.WriteByte('>')
	writeIndentedChildren(w, children, depth, s)
	w.WriteString("</")
	writeTag(w, el)
	w.WriteByte('>')
}

// writeIndent writes a line feed and depth levels of indentation; a
// negative depth writes the line feed alone.
func writeIndent(w *bytes.Buffer, depth int) {
	w.WriteByte('\n')
	for i := 0; i < depth*indentSpaces; i++ {
		w.WriteByte(' ')
	}
}

// writeTag writes el's prefixed name (etree's FullTag).
func writeTag(w *bytes.Buffer, el *etree.Element) {
	if el.Space != "" {
		w.WriteString(el.Space)
		w.WriteByte(':')
	}
	w.WriteString(el.Tag)
}
