package retour

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sluis-gateway/sluis/internal/signing"
)

// maxSenderLen bounds the text read from an unverified Sender element.
const maxSenderLen = 64

// peekSender reads the envelope's Sender from a document that is not yet
// verified. The value is only used to choose the certificate the signature
// must verify against, and is compared with the verified Sender afterwards.
// It reads no further than the Sender element, refuses a DOCTYPE and never
// returns document content in its errors. Before it reads a token the
// bytes are scanned for the envelope's size, element and depth bounds
// (signing.CheckBounds), so no parser sees an oversized document.
func peekSender(doc []byte) (string, error) {
	if err := signing.CheckBounds(doc); err != nil {
		return "", fmt.Errorf("envelope refused unparsed: %w", err)
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(string, io.Reader) (io.Reader, error) {
		return nil, errors.New("only UTF-8 documents are accepted")
	}
	depth := 0
	inSender := false
	var sender strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", errors.New("not a well-formed sluis envelope with a Sender")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return "", errors.New("DOCTYPE or other directive not allowed")
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				if t.Name.Space != signing.Namespace || t.Name.Local != "Envelope" {
					return "", errors.New("root is not a sluis Envelope")
				}
			case depth == 2 && t.Name.Space == signing.Namespace && t.Name.Local == "Sender":
				inSender = true
			case depth == 2 && t.Name.Space == signing.Namespace && t.Name.Local == "Bericht":
				return "", errors.New("envelope has no Sender before its Bericht")
			case inSender:
				return "", errors.New("envelope Sender has child elements")
			}
		case xml.CharData:
			if inSender {
				if sender.Len()+len(t) > maxSenderLen {
					return "", errors.New("envelope Sender too long")
				}
				sender.Write(t)
			}
		case xml.EndElement:
			depth--
			if inSender {
				return strings.TrimSpace(sender.String()), nil
			}
			if depth == 0 {
				return "", errors.New("envelope has no Sender")
			}
		}
	}
}
