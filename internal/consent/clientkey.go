package consent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ClientKey is the key under which the consent register and the store know
// a client: HMAC-SHA256(secret, bsn) in hex. sluis keeps this, never the BSN.
func ClientKey(secret []byte, bsn string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(bsn))
	return hex.EncodeToString(m.Sum(nil))
}

// RegisterKey is the key under which the consent register keeps what
// municipality recorded for the client with clientKey: consents,
// restrictions of processing and the legal representative are each
// municipality's own (the municipality is the controller; see
// docs/consent-contract.md). Commands of a municipality and the screening
// of its disclosures use its RegisterKey, so a consent or restriction
// recorded by one municipality is never found for another's. "" when
// clientKey is "" (no client).
func RegisterKey(municipality, clientKey string) string {
	if clientKey == "" {
		return ""
	}
	return municipality + ":" + clientKey
}

// StoredConsentID is the id under which the register keeps the consent a
// municipality recorded as id: consent ids are each municipality's own,
// like the rest of its register, so two municipalities may use the same id
// and neither learns from a conflict that the other has one.
func StoredConsentID(municipality, id string) string { return municipality + ":" + id }

// ConsentIDOf is the id the municipality gave a consent its register keeps
// under stored (the inverse of StoredConsentID).
func ConsentIDOf(municipality, stored string) string {
	return strings.TrimPrefix(stored, municipality+":")
}
