package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/logctx"
)

// TestDeadLettersAndFailures: a handler that fails on a message's last
// delivery counts a dead letter of its queue; one that fails earlier, or
// succeeds on the last delivery, does not. Each failed attempt is logged
// with the logger the handler left in the message's context.
func TestDeadLettersAndFailures(t *testing.T) {
	errStore := errors.New("store unavailable")
	tests := []struct {
		name      string
		count     string // x-delivery-count; "" absent
		err       error
		wantDead  float64
		wantLines []string
	}{
		{"first delivery fails", "", errStore, 0, []string{"handler failed; the message is retried"}},
		{"an earlier delivery fails", strconv.Itoa(amqp.DeliveryLimit - 1), errStore, 0, []string{"handler failed; the message is retried"}},
		{"the last delivery fails: dead-lettered", strconv.Itoa(amqp.DeliveryLimit), errStore, 1,
			[]string{"handler failed; the message is retried", "message dead-lettered to sluis.dead: it failed on its last delivery"}},
		{"the last delivery succeeds", strconv.Itoa(amqp.DeliveryLimit), nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dead := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluis_dead_letters_total", Help: "h"}, []string{"queue", "reason"})
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			handler := func(msg *message.Message) ([]*message.Message, error) {
				msg.SetContext(logctx.With(msg.Context(), log.With("disclosure_id", "d-1")))
				return nil, tc.err
			}
			h := deadLetters(amqp.QueueDisclosures, dead, log)(failures("intake-0", log)(handler))
			msg := message.NewMessage("m-1", nil)
			msg.SetContext(context.Background())
			if tc.count != "" {
				msg.Metadata.Set(amqp.MetadataDeliveryCount, tc.count)
			}
			if _, err := h(msg); !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if got := testutil.ToFloat64(dead.WithLabelValues(amqp.QueueDisclosures, ReasonDeliveryLimit)); got != tc.wantDead {
				t.Errorf("dead letters %v, want %v", got, tc.wantDead)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if buf.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.wantLines) {
				t.Fatalf("log lines %q, want %d", lines, len(tc.wantLines))
			}
			for i, want := range tc.wantLines {
				if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "disclosure_id=d-1") {
					t.Errorf("line %q, want %q with disclosure_id=d-1", lines[i], want)
				}
			}
		})
	}
}
