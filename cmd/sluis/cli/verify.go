package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/beevik/etree"

	"github.com/sluis-gateway/sluis/internal/signing"
	"github.com/sluis-gateway/sluis/xsd"
)

// Summary is what a provider may print of a message: no personal data.
type Summary struct {
	MessageID     string
	MessageType   string
	Sender        string
	Recipient     string
	Identificatie string
	Dagtekening   string
	Products      int
	Signer        string
	// InReplyTo and RetourCodes (the Header's, e.g. of a technical retour,
	// docs/inbound.md) are printed when set.
	InReplyTo   string
	RetourCodes []string
}

func (s Summary) String() string {
	line := fmt.Sprintf("%s message_id=%s from=%s to=%s identificatie=%s dagtekening=%s products=%d signer=%q",
		s.MessageType, s.MessageID, s.Sender, s.Recipient, s.Identificatie, s.Dagtekening, s.Products, s.Signer)
	if s.InReplyTo != "" {
		line += " in_reply_to=" + s.InReplyTo
	}
	if len(s.RetourCodes) > 0 {
		line += " retour_codes=" + strings.Join(s.RetourCodes, ",")
	}
	return line
}

// Check verifies a signed envelope against the trusted certificates,
// validates envelope and Bericht against their schemas, and summarises it.
func Check(v *signing.Verifier, val *xsd.Validator, signed []byte) (Summary, []byte, error) {
	opened, err := v.Open(signed)
	if err != nil {
		return Summary{}, nil, err
	}
	if err := val.ValidateEnvelope(signed); err != nil {
		return Summary{}, nil, fmt.Errorf("envelope: %w", err)
	}
	if err := val.Validate(opened.Bericht); err != nil {
		return Summary{}, nil, fmt.Errorf("bericht: %w", err)
	}
	s := Summary{
		MessageID: opened.Meta.MessageID, MessageType: opened.Meta.MessageType,
		Sender: opened.Meta.Sender, Recipient: opened.Meta.Recipient,
		Signer: opened.Signer.Subject.CommonName, InReplyTo: opened.Meta.InReplyTo,
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(opened.Bericht); err == nil {
		if el := doc.FindElement("//BerichtIdentificatie/Identificatie"); el != nil {
			s.Identificatie = el.Text()
		}
		if el := doc.FindElement("//BerichtIdentificatie/Dagtekening"); el != nil {
			s.Dagtekening = el.Text()
		}
		s.Products = len(doc.FindElements("//ToegewezenProduct"))
		if root := doc.Root(); root != nil {
			for _, el := range root.FindElements("./Header/RetourCodes/RetourCode") {
				s.RetourCodes = append(s.RetourCodes, el.Text())
			}
		}
	}
	return s, opened.Bericht, nil
}

// Verify checks a signed envelope file.
func Verify(out io.Writer, file string, trusted []string, extract string) error {
	signed, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	v, val, err := checker(trusted)
	if err != nil {
		return err
	}
	defer val.Close()
	s, bericht, err := Check(v, val, signed)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "signature OK, envelope and Bericht valid: %s\n", s)
	if extract != "" {
		if err := os.WriteFile(extract, bericht, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "Bericht written to %s\n", extract)
	}
	return nil
}

// checker loads what Check needs: a verifier of the trusted certificates
// (PEM files) and the schemas. The caller closes the validator.
func checker(trusted []string) (*signing.Verifier, *xsd.Validator, error) {
	v, err := signing.LoadVerifier(trusted...)
	if err != nil {
		return nil, nil, err
	}
	val, err := xsd.NewValidator()
	if err != nil {
		return nil, nil, err
	}
	return v, val, nil
}
