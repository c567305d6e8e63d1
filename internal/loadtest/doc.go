// Package loadtest makes the load that sluis's benchmarks and its load
// harness (cmd/sluis-bench/internal/bench) send: realistic 301 disclosure
// requests and the consents they rely on, the harness's key pair, provider
// registry and virtual host, a drainer for provider queues, and readers of
// /proc for CPU time, peak RSS and the machine. It talks to the broker with
// amqp091 only, never through adapters/.
//
// Every name, BSN and address it generates is synthetic: BSNs pass the
// 11-proef but lie in the 99xxxxxxx test range, names come from a short
// fixed list.
package loadtest
