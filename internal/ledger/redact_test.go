package ledger

import (
	"errors"
	"testing"
	"time"
)

// mixed builds a chain of n1 Scheme1 entries followed by n2 Scheme2 ones,
// each about disclosure "d-<seq>" with a consent id and a reason code.
func mixed(t *testing.T, n1, n2 int) []Entry {
	t.Helper()
	var es []Entry
	prev := Genesis
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= n1+n2; i++ {
		e := Entry{Seq: int64(i), At: at.Add(time.Duration(i) * time.Second), Actor: "system:regsys",
			DisclosureID: "d-" + string(rune('a'+i)), Event: "consent:used",
			Detail: map[string]string{"consent_id": "c-1", "reason": "OK", "municipality": "0363"}, PrevHash: prev}
		if i > n1 {
			e.Scheme = Scheme2
			salts, err := NewSalts(e)
			if err != nil {
				t.Fatal(err)
			}
			e.Salts = salts
		}
		e.Hash = ComputeHash(e)
		prev = e.Hash
		es = append(es, e)
	}
	return es
}

func redactAt(t *testing.T, es []Entry, i int) {
	t.Helper()
	r, ok, err := Redact(es[i], time.Date(2047, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !ok {
		t.Fatalf("redact entry %d: %v %v", es[i].Seq, ok, err)
	}
	es[i] = r
}

func TestRedactKeepsTheChain(t *testing.T) {
	es := mixed(t, 2, 3)
	redactAt(t, es, 0) // Scheme1
	redactAt(t, es, 3) // Scheme2
	cp, err := VerifyFrom(Start, es)
	if err != nil {
		t.Fatalf("verify after redaction: %v", err)
	}
	if cp.Seq != 5 || cp.Scheme1Until != 2 || cp.Redacted != 1 || cp.LinkageOnly != 1 {
		t.Fatalf("checkpoint %+v, want seq 5, scheme1 until 2, 1 redacted, 1 linkage only", cp)
	}
	for _, i := range []int{0, 3} {
		e := es[i]
		if e.DisclosureID != "" || e.Detail["consent_id"] != "" || len(e.Salts) != 0 {
			t.Fatalf("entry %d keeps a reference: %+v", e.Seq, e)
		}
		if e.Detail["reason"] != "OK" || e.Detail["municipality"] != "0363" {
			t.Fatalf("entry %d lost a kept code: %+v", e.Seq, e.Detail)
		}
	}
	if d := es[3].Redacted[FieldDisclosure]; len(d) != 64 {
		t.Fatalf("Scheme2 redaction keeps no digest of the disclosure id: %q", d)
	}
	if _, again, err := Redact(es[3], time.Now()); again || err != nil {
		t.Fatalf("a second redaction: %v %v, want nothing done", again, err)
	}
}

func TestRedactedChainTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(es []Entry)
	}{
		{"value put back beside its digest", func(es []Entry) { es[3].DisclosureID = "d-x" }},
		{"detail value put back", func(es []Entry) { es[3].Detail["consent_id"] = "c-1" }},
		{"kept digest changed", func(es []Entry) {
			es[3].Redacted[DetailField("consent_id")] = FieldDigest(DetailField("consent_id"), "00", "c-2")
		}},
		{"kept code changed on a redacted entry", func(es []Entry) { es[3].Detail["reason"] = "NOT_OK" }},
		{"salt dropped from an unredacted entry", func(es []Entry) { delete(es[4].Salts, FieldDisclosure) }},
		{"unredacted value changed", func(es []Entry) { es[4].Detail["consent_id"] = "c-9" }},
		{"Scheme2 entry passed off as a redacted Scheme1 one", func(es []Entry) {
			es[4].Scheme = Scheme1
			es[4].RedactedAt = time.Now()
			es[4].Event = "consent:withdrawn"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es := mixed(t, 2, 3)
			redactAt(t, es, 3)
			es[4].RedactedAt = time.Time{}
			tc.tamper(es)
			if _, err := VerifyFrom(Start, es); !errors.Is(err, ErrBroken) {
				t.Fatalf("want ErrBroken, got %v", err)
			}
		})
	}
}

func TestRedactRefusesAnAlteredEntry(t *testing.T) {
	es := mixed(t, 0, 1)
	es[0].Detail["consent_id"] = "c-forged"
	if _, _, err := Redact(es[0], time.Now()); !errors.Is(err, ErrBroken) {
		t.Fatalf("want ErrBroken, got %v", err)
	}
}

func TestRedactable(t *testing.T) {
	for k, want := range map[string]bool{
		"consent_id": true, "identificatie": true, "request_reference": true, "something_new": true,
		"reason": false, "municipality": false, "retour_codes": false, "from": false,
	} {
		if got := Redactable(k); got != want {
			t.Errorf("Redactable(%q) = %v, want %v", k, got, want)
		}
	}
}
