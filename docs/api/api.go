// Package api embeds the machine-readable descriptions of sluis's
// interfaces, so the gateway serves exactly the files documented in docs/:
// the OpenAPI 3.1 description of the HTTP API and the AsyncAPI 3.0
// description of the broker's exchanges and queues. Both refer to the
// request contracts in docs/contract by relative $ref
// (../contract/*.schema.json), which resolves the same in this directory
// and on the server (/v1/api/..., /v1/contract/...). See docs/api.md.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the HTTP API (JSON).
//
//go:embed openapi.json
var OpenAPI []byte

// AsyncAPI is the AsyncAPI 3.0 description of the broker topology (JSON).
//
//go:embed asyncapi.json
var AsyncAPI []byte
