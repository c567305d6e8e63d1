package storecore

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

func TestIdentificatie(t *testing.T) {
	tests := []struct {
		name string
		n    int64
		want string
		err  error
	}{
		{"first", 1, "1", nil},
		{"twelve digits", MaxIdentificatie, "999999999999", nil},
		{"zero", 0, "", ErrIdentificatieExhausted},
		{"thirteen digits", MaxIdentificatie + 1, "", ErrIdentificatieExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Identificatie(tt.n)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("Identificatie(%d) = %q, %v; want %q, %v", tt.n, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestCodesRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"nil", nil, nil},
		{"empty", []string{}, nil},
		{"two", []string{"0233", "8001"}, []string{"0233", "8001"}},
		{"comma inside", []string{"a,b"}, []string{"a,b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCodes(EncodeCodes(tt.in))
			if err != nil || !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Fatalf("round trip of %q = %q, %v", tt.in, got, err)
			}
		})
	}
}

func TestAtRoundTrip(t *testing.T) {
	in := map[receipts.State]time.Time{
		receipts.Received: time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 7200)),
		receipts.Allowed:  time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	got, err := DecodeAt(EncodeAt(in))
	if err != nil {
		t.Fatal(err)
	}
	for s, tm := range in {
		if want := Trunc(tm); !got[s].Equal(want) || got[s].Location() != time.UTC {
			t.Errorf("At[%s] = %s, want %s", s, got[s], want)
		}
	}
}

func TestNewEntry(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC)
	tests := []struct {
		name   string
		actor  string
		id     string
		event  string
		detail map[string]string
		err    error
	}{
		{"plain", "system:sluis", "d-1", "state:received", map[string]string{"k": "v"}, nil},
		{"no detail", "system:sluis", "", "keys:rotated", nil, nil},
		{"empty event", "system:sluis", "d-1", "", nil, ErrBadArgument},
		{"invalid utf-8 value", "system:sluis", "d-1", "e", map[string]string{"k": "\xff"}, ErrBadArgument},
		{"nul in key", "system:sluis", "d-1", "e", map[string]string{"k\x00": "v"}, ErrBadArgument},
		{"invalid utf-8 id", "system:sluis", "d-\xff", "e", nil, ErrBadArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewEntry(4, "abc", at, tt.actor, tt.id, tt.event, tt.detail)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if e.Seq != 5 || e.PrevHash != "abc" || !e.At.Equal(Trunc(at)) || e.Hash != ledger.ComputeHash(e) || e.Detail == nil {
				t.Fatalf("entry %+v", e)
			}
			// Detail survives the column encoding unchanged, so the hash holds.
			d, err := DecodeDetail(EncodeDetail(e.Detail))
			if err != nil {
				t.Fatal(err)
			}
			e.Detail = d
			if ledger.ComputeHash(e) != e.Hash {
				t.Fatal("hash changed after encoding the detail")
			}
		})
	}
}

func TestMoveDetail(t *testing.T) {
	c := receipts.Change{
		To: receipts.Rejected, Reason: "r", ReasonCodes: []string{"A", "B"}, RetourCodes: []string{"0233"},
		Detail: map[string]string{"x": "1", "from": "spoofed"},
	}
	got := MoveDetail(receipts.Delivered, c)
	want := map[string]string{"x": "1", "from": "delivered", "reason": "r", "reason_codes": "A,B", "retour_codes": "0233"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if c.Detail["from"] != "spoofed" {
		t.Fatal("MoveDetail changed the caller's map")
	}
}
