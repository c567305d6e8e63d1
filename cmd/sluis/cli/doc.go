// Package cli holds the sluis subcommands other than serve: a registration
// system (send), a care provider (provider), a verifier (verify) and a
// receipts query (status). They talk to sluis the way real parties do: over
// AMQP and HTTP.
package cli
