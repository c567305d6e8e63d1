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
