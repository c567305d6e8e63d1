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

func TestVerifyNamesFirstBadEntry(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(es []Entry) []Entry
		seq    int64
	}{
		{"detail altered", func(es []Entry) []Entry { es[1].Detail = map[string]string{"a": "9"}; return es }, 2},
		{"entry removed", func(es []Entry) []Entry { return append(es[:2], es[3:]...) }, 3},
		{"entry rehashed after change", func(es []Entry) []Entry {
			es[2].Actor = "system:mallory"
			es[2].Hash = ComputeHash(es[2])
			return es
		}, 4},
		{"first entry not from genesis", func(es []Entry) []Entry { return es[1:] }, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.tamper(chain(5)))
			seq, ok := BrokenAt(err)
			if !ok || seq != tc.seq || !errors.Is(err, ErrBroken) {
				t.Fatalf("want a break at seq %d, got %v", tc.seq, err)
			}
		})
	}
}

func TestVerifyFromCheckpoint(t *testing.T) {
	es := chain(6)
	cp, err := VerifyFrom(Start, es[:3])
	if err != nil || cp.Seq != 3 || cp.Hash != es[2].Hash {
		t.Fatalf("first stretch: checkpoint %+v, err %v", cp, err)
	}
	other := chain(6)[3:] // seq 4.. but rechained onto another predecessor
	other[0].PrevHash = Genesis
	other[0].Hash = ComputeHash(other[0])
	cases := []struct {
		name    string
		entries []Entry
		wantSeq int64 // checkpoint after
		broken  int64 // 0: no break
	}{
		{"the entries after the checkpoint", es[3:], 6, 0},
		{"nothing new", nil, 3, 0},
		{"a gap after the checkpoint", es[4:], 3, 4},
		{"entries that do not follow the checkpoint", other, 3, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyFrom(cp, tc.entries)
			if got.Seq != tc.wantSeq {
				t.Fatalf("checkpoint seq %d, want %d (err %v)", got.Seq, tc.wantSeq, err)
			}
			seq, broken := BrokenAt(err)
			if tc.broken == 0 && err != nil || tc.broken != 0 && (!broken || seq != tc.broken) {
				t.Fatalf("want break at %d, got %v", tc.broken, err)
			}
		})
	}
}
