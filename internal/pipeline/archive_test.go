package pipeline_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retention"
)

// TestArchiveOnDelivery: the exact signed bytes the broker confirmed are
// archived under the disclosure and its client, with the standard's term
// counted from the disclosure's registration (retention.Until), before the disclosure is marked delivered; nothing
// is archived of what was not delivered.
func TestArchiveOnDelivery(t *testing.T) {
	cases := []struct {
		name     string
		set      func(*parts)
		state    receipts.State
		archived bool
	}{
		{"delivered: archived", func(*parts) {}, receipts.Delivered, true},
		{"refused: nothing archived", func(ps *parts) { ps.screen = &screener{out: refused} }, receipts.Refused, false},
		{"recipient not connected: nothing archived", func(ps *parts) {
			ps.pub.outboundErrs = []error{bus.ErrUnroutable}
		}, receipts.Failed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParts()
			tc.set(ps)
			if err := handle(ps.pipeline(t), intake("intake-1", exampleBody(t, nil))); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			rec := ps.store.get(exampleID)
			if rec.State != tc.state {
				t.Fatalf("state %s, want %s", rec.State, tc.state)
			}
			got, ok := ps.arch.get(exampleID)
			if ok != tc.archived {
				t.Fatalf("archived %v, want %v", ok, tc.archived)
			}
			if !ok {
				return
			}
			out := ps.pub.on(bus.TopicOutbound)
			if len(out) != 1 || !bytes.Equal(got.Signed, out[0].Payload) {
				t.Fatalf("archived %q, published %d messages; want the published bytes", got.Signed, len(out))
			}
			if got.ClientKey != rec.ClientKey || got.ClientKey == "" {
				t.Errorf("archived for client %q, the record's is %q", got.ClientKey, rec.ClientKey)
			}
			want := rec.CreatedAt.AddDate(retention.YearsIWmo, 0, 0)
			if !got.RetainUntil.Equal(want) || rec.CreatedAt.IsZero() {
				t.Errorf("retain until %s, want %s (iWmo, from registration)", got.RetainUntil, want)
			}
		})
	}
}

// TestArchiveFailureIsRetried: an archive write that fails after the
// broker's confirm leaves the disclosure published and nacks the intake
// message; the redelivery republishes the same bytes, archives them and
// marks the disclosure delivered. Nothing is lost or marked delivered
// without its archived message.
func TestArchiveFailureIsRetried(t *testing.T) {
	ps := newParts()
	ps.arch.putErrs = []error{errors.New("archive store unavailable")}
	p := ps.pipeline(t)
	body := exampleBody(t, nil)

	if err := handle(p, intake("intake-1", body)); err == nil {
		t.Fatal("Handle with a failing archive: nil, want an error (retry)")
	}
	if rec := ps.store.get(exampleID); rec.State != receipts.Published {
		t.Fatalf("state after the archive failed: %s, want published", rec.State)
	}
	if _, ok := ps.arch.get(exampleID); ok {
		t.Fatal("archived although the put failed")
	}

	if err := handle(p, intake("intake-1", body)); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if rec := ps.store.get(exampleID); rec.State != receipts.Delivered {
		t.Fatalf("state after the redelivery: %s, want delivered", rec.State)
	}
	out := ps.pub.on(bus.TopicOutbound)
	got, ok := ps.arch.get(exampleID)
	if len(out) != 2 || !bytes.Equal(out[0].Payload, out[1].Payload) || !ok || !bytes.Equal(got.Signed, out[1].Payload) {
		t.Fatalf("published %d messages, archived %v; want the same bytes twice and archived", len(out), ok)
	}
	if ps.arch.puts != 2 {
		t.Fatalf("%d archive puts, want 2", ps.arch.puts)
	}
}
