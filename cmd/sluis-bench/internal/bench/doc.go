// Package bench is sluis's end-to-end load harness, used by cmd/sluis-bench
// and `make bench`. It runs the gateway binary as a separate process in a
// private RabbitMQ virtual host, feeds it realistic 301 disclosure requests
// (made by internal/loadtest's generator), and measures throughput, latency
// percentiles, the gateway's CPU time and peak RSS, next to two reference
// figures: the broker's ceiling for confirmed persistent publishes and the
// RSA-2048 signing floor.
package bench
