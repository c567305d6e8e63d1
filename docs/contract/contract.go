// Package contract embeds the published request contracts (JSON Schema), so
// the gateway enforces exactly the files documented in docs/.
package contract

import _ "embed"

// DisclosureV1 is the JSON Schema of the disclosure request, version 1.
//
//go:embed disclosure-v1.schema.json
var DisclosureV1 []byte

// AccessV1 is the JSON Schema of the access report (the portability
// export), version 1: docs/client-rights.md.
//
//go:embed access-v1.schema.json
var AccessV1 []byte
