package ledger

import (
	"errors"
	"testing"
	"time"
)

func chain(n int) []Entry {
	var es []Entry
	prev := Genesis
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := Entry{Seq: int64(i), At: at.Add(time.Duration(i) * time.Second), Actor: "system:sluis",
			DisclosureID: "d", Event: "state:received", Detail: map[string]string{"b": "2", "a": "1"}, PrevHash: prev}
		e.Hash = ComputeHash(e)
		prev = e.Hash
		es = append(es, e)
	}
	return es
}

func TestVerify(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(es []Entry) []Entry
		ok     bool
	}{
		{"intact chain", func(es []Entry) []Entry { return es }, true},
		{"empty chain", func(es []Entry) []Entry { return nil }, true},
		{"detail altered", func(es []Entry) []Entry { es[1].Detail = map[string]string{"a": "9"}; return es }, false},
		{"event altered", func(es []Entry) []Entry { es[2].Event = "state:delivered"; return es }, false},
		{"entry removed", func(es []Entry) []Entry { return append(es[:1], es[2:]...) }, false},
		{"entry rehashed after change", func(es []Entry) []Entry {
			es[1].Actor = "system:mallory"
			es[1].Hash = ComputeHash(es[1])
			return es
		}, false},
		{"first entry not from genesis", func(es []Entry) []Entry { return es[1:] }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.tamper(chain(4)))
			if tc.ok && err != nil {
				t.Fatalf("want ok, got %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrBroken) {
				t.Fatalf("want ErrBroken, got %v", err)
			}
		})
	}
}

func TestHashIndependentOfDetailOrder(t *testing.T) {
	a := Entry{Seq: 1, Detail: map[string]string{"x": "1", "y": "2"}, PrevHash: Genesis}
	b := Entry{Seq: 1, Detail: map[string]string{"y": "2", "x": "1"}, PrevHash: Genesis}
	if ComputeHash(a) != ComputeHash(b) {
		t.Fatal("hash depends on map order")
	}
	c := Entry{Seq: 1, Detail: map[string]string{"x": "1\ny=2"}, PrevHash: Genesis}
	if ComputeHash(a) == ComputeHash(c) {
		t.Fatal("detail values can forge other keys")
	}
}
