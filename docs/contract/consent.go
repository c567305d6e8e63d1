package contract

import _ "embed"

// ConsentV1 is the JSON Schema of a consent register command, version 1.
//
//go:embed consent-v1.schema.json
var ConsentV1 []byte
