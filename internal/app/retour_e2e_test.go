package app_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/cmd/sluis/cli"
)

func TestEndToEndRetour(t *testing.T) {
	// The development provider keys live under var/ of the working
	// directory: keep them out of the source tree.
	t.Chdir(t.TempDir())
	h := start(t)
	for _, tc := range []struct {
		example, agb, answer, state string
		codes                       []string
	}{
		{"iwmo-301.json", "42420001", "reject:9332", "rejected", []string{"9332"}},
		{"ijw-301.json", "65656055", "accept", "accepted", nil},
	} {
		t.Run(tc.answer, func(t *testing.T) {
			var out bytes.Buffer
			done := make(chan error, 1)
			go func() {
				done <- cli.RunProvider(context.Background(), &out, cli.ProviderConfig{
					AMQPURL: h.url, AGB: tc.agb, Trusted: []string{h.cfg.SigningCert}, Count: 1,
					Timeout: time.Minute, Answer: tc.answer,
				})
			}()
			m, body := readExample(t, tc.example)
			id := m["id"].(string)
			h.send(body)
			h.waitState(id, "delivered")
			ev := h.waitState(id, tc.state)
			if err := <-done; err != nil {
				t.Fatalf("provider: %v\n%s", err, out.String())
			}
			t.Log(out.String())
			if !slices.Equal(ev.RetourCodes, tc.codes) {
				t.Fatalf("retour codes %v", ev.RetourCodes)
			}
		})
	}
	t.Log(h.logs.String())
}
