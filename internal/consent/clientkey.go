package consent

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
