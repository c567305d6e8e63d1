// Package deploy holds the files sluis is deployed and watched with: the
// systemd unit, the Kubernetes manifests, the compose file, the Prometheus
// alert rules and the Grafana dashboard (see README.md). It has no code; its
// tests check those files against the gateway's configuration and against a
// running gateway's /metrics.
package deploy
