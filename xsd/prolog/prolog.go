// Package prolog checks the bytes before an XML document's root element,
// in pure Go, before any XML parser sees them: a DOCTYPE (the carrier of
// entity-expansion "bombs" and external entities) is refused, and so is
// anything that is not plain UTF-8 XML (UTF-16/32, NUL bytes, another
// declared encoding, text before the root), because a byte scan for
// "<!DOCTYPE" is only sound on UTF-8. Used by package xsd and messages.
package prolog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDoctype: a DOCTYPE (or other "<!" declaration) before the root.
	ErrDoctype = errors.New("xml: DOCTYPE not allowed")
	// ErrNotPlainXML: not UTF-8, unterminated prolog markup, text before
	// the root, or no root element.
	ErrNotPlainXML = errors.New("xml: not plain UTF-8 XML")
)

// Check scans the bytes before the root element. It refuses a DOCTYPE
// (ErrDoctype) and anything that is not plain UTF-8 XML (ErrNotPlainXML): a
// UTF-16/UTF-32 byte order, an encoding declaration other than UTF-8, NUL
// bytes, or text before the root. It does not parse the rest of the
// document.
func Check(doc []byte) error {
	p := doc
	p = bytes.TrimPrefix(p, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(doc, 0) >= 0 {
		return fmt.Errorf("%w: NUL byte: only UTF-8 is accepted", ErrNotPlainXML)
	}
	first := true
	for {
		p = bytes.TrimLeft(p, " \t\r\n")
		switch {
		case len(p) == 0:
			return fmt.Errorf("%w: no root element", ErrNotPlainXML)
		case bytes.HasPrefix(p, []byte("<?")):
			end := bytes.Index(p[2:], []byte("?>"))
			if end < 0 {
				return fmt.Errorf("%w: unterminated processing instruction", ErrNotPlainXML)
			}
			end += 2
			pi := p[2:end]
			if first && bytes.HasPrefix(pi, []byte("xml")) && len(pi) > 3 && isSpace(pi[3]) {
				if err := checkXMLDecl(pi); err != nil {
					return err
				}
			}
			p = p[end+2:]
		case bytes.HasPrefix(p, []byte("<!--")):
			end := bytes.Index(p[4:], []byte("-->"))
			if end < 0 {
				return fmt.Errorf("%w: unterminated comment", ErrNotPlainXML)
			}
			p = p[4+end+3:]
		case bytes.HasPrefix(p, []byte("<!")):
			// <!DOCTYPE, and any other markup declaration, is refused
			// (case-insensitively, to be strict).
			return ErrDoctype
		case p[0] == '<':
			return nil
		default:
			return fmt.Errorf("%w: content before the root element", ErrNotPlainXML)
		}
		first = false
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func checkXMLDecl(pi []byte) error {
	s := string(pi)
	i := strings.Index(s, "encoding")
	if i < 0 {
		return nil
	}
	rest := strings.TrimLeft(s[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return fmt.Errorf("%w: malformed XML declaration", ErrNotPlainXML)
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) < 2 || (rest[0] != '"' && rest[0] != '\'') {
		return fmt.Errorf("%w: malformed XML declaration", ErrNotPlainXML)
	}
	end := strings.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return fmt.Errorf("%w: malformed XML declaration", ErrNotPlainXML)
	}
	enc := strings.ToUpper(rest[1 : 1+end])
	if enc != "UTF-8" {
		return fmt.Errorf("%w: declared encoding is not UTF-8", ErrNotPlainXML)
	}
	return nil
}
