// Package loadtest is sluis's end-to-end load harness, used by
// cmd/sluis-bench and `make bench`. It runs the gateway binary as a separate
// process in a private RabbitMQ virtual host, feeds it realistic 301
// disclosure requests, and measures throughput, latency percentiles, the
// gateway's CPU time and peak RSS, next to two reference figures: the
// broker's ceiling for confirmed persistent publishes and the RSA-2048
// signing floor.
//
// Every name, BSN and address it generates is synthetic: BSNs pass the
// 11-proef but lie in the 99xxxxxxx test range, names come from a short
// fixed list.
package loadtest
