package retour_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
	"github.com/sluis-gateway/sluis/internal/testenv/flood"
	"github.com/sluis-gateway/sluis/messages"
)

// personal are strings of the official WMO301 example every test retour is
// built from: BSN, names, street, postcode, birth date.
var personal = []string{"999900006", "Dijkhof", "Jansen", "Vries", "Straatweg", "9999XX", "1967-01-13"}

// checkParked asserts that d is the summary of body parked for reason: the
// hash and size headers describe body, the JSON summary says the same, and
// nothing of body's personal data is on the parking queue.
func checkParked(t *testing.T, d amqp091.Delivery, body []byte, reason retour.Reason) retour.Parked {
	t.Helper()
	sum := sha256.Sum256(body)
	wantSum := hex.EncodeToString(sum[:])
	if got, _ := d.Headers[retour.HeaderParkReason].(string); got != string(reason) {
		t.Fatalf("park reason %q (detail %q), want %q", got, d.Headers[retour.HeaderParkDetail], reason)
	}
	if got, _ := d.Headers[retour.HeaderParkSHA256].(string); got != wantSum {
		t.Fatalf("%s = %q, want the SHA-256 of the retour %s", retour.HeaderParkSHA256, got, wantSum)
	}
	if got, _ := d.Headers[retour.HeaderParkSize].(string); got != strconv.Itoa(len(body)) {
		t.Fatalf("%s = %q, want %d", retour.HeaderParkSize, got, len(body))
	}
	if d.ContentType != retour.ParkContentType {
		t.Fatalf("content type %q, want %q", d.ContentType, retour.ParkContentType)
	}
	var p retour.Parked
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("parked body is not a summary: %v", err)
	}
	if p.Kind != "retour" || p.Reason != reason || p.SHA256 != wantSum || p.Size != len(body) ||
		p.Source != "sluis.retours" || p.MessageID == "" || p.ParkedAt.IsZero() {
		t.Fatalf("summary %+v does not describe the retour", p)
	}
	if len(d.Body) > 2048 {
		t.Fatalf("parked body is %d bytes, want a small summary", len(d.Body))
	}
	for _, s := range personal {
		if bytes.Contains(d.Body, []byte(s)) {
			t.Fatalf("parked body carries %q of the retour", s)
		}
		for k, v := range d.Headers {
			if vs, ok := v.(string); ok && strings.Contains(vs, s) {
				t.Fatalf("parked header %s carries %q of the retour", k, s)
			}
		}
	}
	return p
}

// TestParkedCarriesNoClientData: what sluis parks names the retour by id,
// reason, size and hash, and carries none of its content.
func TestParkedCarriesNoClientData(t *testing.T) {
	hs := newHarness(t)
	tests := []struct {
		name   string
		body   func(a receipts.Record) []byte
		reason retour.Reason
		// disclosure: the summary names the disclosure the retour named.
		disclosure bool
	}{
		{"a genuine 302 matching no disclosure", func(a receipts.Record) []byte {
			other := a
			other.Identificatie = "999999"
			return hs.seal(hs.signers[agbA], agbA, "WMO302", "", bericht(t, other, retour.Verdict{}))
		}, retour.ReasonUnmatched, false},
		{"a 301 sent back as a retour", func(a receipts.Record) []byte {
			doc, err := messages.Marshal(heen(t, a))
			if err != nil {
				t.Fatal(err)
			}
			return hs.seal(hs.signers[agbA], agbA, "WMO301", a.MessageID, doc)
		}, retour.ReasonNotRetour, false},
		{"a 302 from the wrong provider", func(a receipts.Record) []byte {
			other := a
			other.Recipient = agbB
			return hs.seal(hs.signers[agbB], agbB, "WMO302", a.MessageID, bericht(t, other, retour.Verdict{}))
		}, retour.ReasonProviderMismatch, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := hs.delivered("nodata-"+strconv.Itoa(i), agbA)
			body := tc.body(a)
			found := 0
			for _, s := range personal {
				if bytes.Contains(body, []byte(s)) {
					found++
				}
			}
			if found == 0 {
				t.Fatal("test retour carries none of the personal strings it should")
			}
			if err := hs.handle(body); err != nil {
				t.Fatalf("Handle = %v, want nil (parked)", err)
			}
			d, ok := hs.parked()
			if !ok {
				t.Fatal("nothing on the parking queue")
			}
			p := checkParked(t, d, body, tc.reason)
			if tc.disclosure && p.DisclosureID != a.DisclosureID {
				t.Fatalf("summary names disclosure %q, want %q", p.DisclosureID, a.DisclosureID)
			}
		})
	}
}

// TestFloodParkedBounded: a retour of a million flat elements (4 MB) is
// parked as malformed, without its body, and handling it allocates less
// than 20 MB (read from the runtime, before: ~170 MB of tree).
func TestFloodParkedBounded(t *testing.T) {
	hs := newHarness(t)
	a := hs.delivered("flood", agbA)
	body := flood.Insert(t, hs.genuine(a, retour.Verdict{}), "<sluis:Bericht>", 1_000_000)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := hs.handle(body)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Handle = %v, want nil (parked)", err)
	}
	total := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte retour parked: %d bytes allocated while handling it", len(body), total)
	const limit = 20 << 20
	if total >= limit {
		t.Fatalf("handling allocated %d bytes, want < %d", total, limit)
	}

	d, ok := hs.parked()
	if !ok {
		t.Fatal("nothing on the parking queue")
	}
	checkParked(t, d, body, retour.ReasonMalformed)
	if detail, _ := d.Headers[retour.HeaderParkDetail].(string); !strings.Contains(detail, "too many elements") {
		t.Fatalf("park detail %q does not name the element limit", detail)
	}
	if got := hs.get(a.DisclosureID); got.State != receipts.Delivered {
		t.Fatalf("disclosure moved to %s", got.State)
	}
}
