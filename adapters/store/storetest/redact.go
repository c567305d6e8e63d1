package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// LedgerUpdater tries a change of a ledger entry other than a redaction,
// with the append-only trigger in place (test builds only).
type LedgerUpdater interface {
	TryLedgerEventUpdate(ctx context.Context, seq int64, event string) error
}

// testRedact: a client's entries lose their references, the other client's
// keep theirs, the whole chain still verifies, a second call redacts
// nothing, tampering with a redacted entry is detected and the store
// refuses any other change of an entry.
func testRedact(t *testing.T, s Store) {
	ctx := Ctx(t)
	for _, id := range []string{"gone-1", "kept-1"} {
		register(t, s, NewRecord(id, "0363", "WMO301"))
		move(t, s, id, receipts.Allowed, receipts.Published, receipts.Delivered)
	}
	appends := []struct {
		id     string
		detail map[string]string
	}{
		{"", map[string]string{"consent_id": "c-gone", "recipient": "42420001", "purpose": "toewijzing"}},
		{"", map[string]string{"consent_id": "c-kept", "recipient": "42420001", "purpose": "toewijzing"}},
		{"gone-1", map[string]string{"consent_id": "c-gone", "reason": "used"}},
		{"", map[string]string{"restriction_id": "17", "from": "2026-12-04T10:00:00Z"}},
		{"", map[string]string{"objection_id": "4", "from": "2026-12-04T10:00:00Z"}},
		{"", map[string]string{"objection_id": "5", "from": "2026-12-04T10:00:00Z"}},
	}
	for _, a := range appends {
		if _, err := s.Append(ctx, a.id, "test:event", a.detail); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	before := VerifyChain(t, s)
	ref := ledger.Ref{DisclosureIDs: []string{"gone-1"}, ConsentIDs: []string{"c-gone"},
		RestrictionIDs: []string{"17"}, ObjectionIDs: []string{"4"}}
	want := 0
	for _, e := range before {
		if e.DisclosureID == "gone-1" || e.Detail["consent_id"] == "c-gone" || e.Detail["restriction_id"] == "17" ||
			e.Detail["objection_id"] == "4" {
			want++
		}
	}
	at := time.Now().AddDate(21, 0, 0)
	n, err := s.(ledger.Redactor).RedactAbout(ctx, ref, at)
	if err != nil || n != want {
		t.Fatalf("RedactAbout: %d, %v; want %d entries", n, err, want)
	}
	after := ReadLedger(t, s)
	cp, err := ledger.VerifyFrom(ledger.Start, after)
	if err != nil {
		t.Fatalf("verify after redaction: %v", err)
	}
	if cp.Redacted != int64(want) || cp.Seq != int64(len(before)) || cp.Hash != before[len(before)-1].Hash {
		t.Fatalf("checkpoint %+v, want %d redacted and the same head", cp, want)
	}
	for i, e := range after {
		text := e.DisclosureID + " " + encodeDetail(e.Detail)
		redacted := !e.RedactedAt.IsZero()
		gone := strings.Contains(text, "gone-1") || strings.Contains(text, "c-gone") ||
			e.Detail["restriction_id"] == "17" || e.Detail["objection_id"] == "4"
		switch {
		case gone:
			t.Errorf("entry %d still refers to the client: %q", e.Seq, text)
		case redacted && !sameRefs(before[i]):
			t.Errorf("entry %d was redacted but refers to no id of the ref", e.Seq)
		case !redacted && (e.DisclosureID != before[i].DisclosureID || encodeDetail(e.Detail) != encodeDetail(before[i].Detail)):
			t.Errorf("entry %d of another client changed", e.Seq)
		case redacted && !e.RedactedAt.Equal(at.UTC().Truncate(time.Microsecond)):
			t.Errorf("entry %d redacted at %s, want %s", e.Seq, e.RedactedAt, at)
		}
		if redacted && e.Detail["recipient"] != before[i].Detail["recipient"] {
			t.Errorf("entry %d lost a kept code", e.Seq)
		}
	}
	if es, err := s.EntriesFor(ctx, "gone-1"); err != nil || len(es) != 0 {
		t.Fatalf("EntriesFor(gone-1) after redaction: %d entries, %v", len(es), err)
	}
	if n, err := s.(ledger.Redactor).RedactAbout(ctx, ref, at); err != nil || n != 0 {
		t.Fatalf("second RedactAbout: %d, %v; want 0", n, err)
	}
	if up, ok := s.(LedgerUpdater); ok {
		if err := up.TryLedgerEventUpdate(ctx, after[0].Seq, "state:forged"); err == nil {
			t.Fatal("the store let an entry's event change")
		}
	} else {
		t.Fatalf("%T does not implement storetest.LedgerUpdater (add it in export_test.go)", s)
	}
	var red ledger.Entry
	for _, e := range after {
		if !e.RedactedAt.IsZero() {
			red = e
			break
		}
	}
	d := red.Detail
	d["forged"] = "yes"
	if err := s.(Tamperer).TamperLedgerDetail(ctx, red.Seq, d); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if err := ledger.Verify(ReadLedger(t, s)); err == nil {
		t.Fatal("a tampered redacted entry verifies")
	}
}

// sameRefs reports whether e refers to one of testRedact's ids.
func sameRefs(e ledger.Entry) bool {
	return e.DisclosureID == "gone-1" || e.Detail["consent_id"] == "c-gone" || e.Detail["restriction_id"] == "17" ||
		e.Detail["objection_id"] == "4"
}

func encodeDetail(d map[string]string) string {
	b, _ := json.Marshal(d) // sorted keys
	return string(b)
}
