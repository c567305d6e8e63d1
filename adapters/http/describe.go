package http

import (
	"net/http"

	"github.com/sluis-gateway/sluis/docs/api"
	"github.com/sluis-gateway/sluis/docs/contract"
)

// Paths of the API description and the contracts it refers to. The
// description's $refs are relative (../contract/NAME), so they resolve
// against these paths as they do in docs/.
const (
	PathOpenAPI           = "/v1/api/openapi.json"
	PathAsyncAPI          = "/v1/api/asyncapi.json"
	PathDisclosureSchema  = "/v1/contract/disclosure-v1.schema.json"
	PathConsentSchema     = "/v1/contract/consent-v1.schema.json"
	contentTypeSchemaJSON = "application/schema+json"
)

// describeRoutes serve the embedded documents (docs/api, docs/contract)
// byte for byte. They hold no data of anybody, and the API listener has
// already verified the client's certificate: no registry entry or token is
// needed.
func describeRoutes() []route {
	return []route{
		{"GET " + PathOpenAPI, document("application/json", api.OpenAPI)},
		{"GET " + PathAsyncAPI, document("application/json", api.AsyncAPI)},
		{"GET " + PathDisclosureSchema, document(contentTypeSchemaJSON, contract.DisclosureV1)},
		{"GET " + PathConsentSchema, document(contentTypeSchemaJSON, contract.ConsentV1)},
	}
}

func document(contentType string, b []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	})
}
