package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/consent"
	"github.com/sluis-gateway/sluis/internal/ledger"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// FullStore is a store with everything sluis keeps: receipts, the ledger,
// the consent register and the evidence archive. Backup, restore and
// copying between stores are tested on it (Fill, CheckCopy).
type FullStore interface {
	Store
	consent.Store
	archive.Store
}

// Filled is what Fill wrote, to compare a copy of the store with.
type Filled struct {
	Records   []receipts.Record
	Ledger    []ledger.Entry
	Registers map[string]consent.Register // by client key
	Archived  map[string][]byte           // signed message by disclosure id
	Master    archive.MasterKey
	// Counters is the highest Identificatie handed out per
	// municipality/message type ("0363/WMO301").
	Counters map[string]int64
}

// Client keys of the filled store.
const (
	fillClientA = "fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11fa11"
	fillClientB = "fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22fb22"
)

// Fill writes a bit of everything into an empty store: disclosures of two
// municipalities and two message types in several states (Identificaties
// up to 7), an invalid request, consents (one used, one withdrawn), a
// lifted and a standing restriction, a legal representative, archived
// messages of two clients, one of them shredded. It returns what the store
// then holds.
func Fill(t *testing.T, s FullStore) Filled {
	t.Helper()
	ctx := Ctx(t)
	f := Filled{Registers: map[string]consent.Register{}, Archived: map[string][]byte{}, Counters: map[string]int64{}}
	kinds := []struct{ municipality, messageType string }{
		{"0363", "WMO301"}, {"0363", "WMO301"}, {"0363", "JW301"}, {"0599", "WMO301"},
		{"0363", "WMO301"}, {"0599", "WMO301"}, {"0363", "WMO301"}, {"0363", "WMO301"},
		{"0363", "WMO301"}, {"0363", "WMO301"},
	}
	paths := [][]receipts.State{
		{receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Accepted},
		{receipts.Refused},
		{receipts.Allowed, receipts.Published, receipts.Delivered},
		{receipts.Allowed, receipts.Published, receipts.Delivered, receipts.Rejected},
		nil,
		{receipts.Failed},
	}
	var ids []string
	for i, k := range kinds {
		id := "fill-" + strconv.Itoa(i+1)
		ids = append(ids, id)
		r := NewRecord(id, k.municipality, k.messageType)
		if i%2 == 1 {
			r.ClientKey = fillClientB
		} else {
			r.ClientKey = fillClientA
		}
		got := register(t, s, r)
		n, err := strconv.ParseInt(got.Identificatie, 10, 64)
		if err != nil {
			t.Fatalf("Identificatie %q: %v", got.Identificatie, err)
		}
		key := k.municipality + "/" + k.messageType
		f.Counters[key] = max(f.Counters[key], n)
		for _, to := range paths[i%len(paths)] {
			if _, err := s.Move(ctx, id, receipts.Change{To: to, Reason: "fill", ReasonCodes: []string{"FILL"}}); err != nil {
				t.Fatalf("Move(%s, %s): %v", id, to, err)
			}
		}
	}
	if err := s.RecordInvalid(ctx, receipts.InvalidRequest{DisclosureID: "fill-bad", Municipality: "0363",
		System: "regsys-a", Reason: "schema", ReceivedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("RecordInvalid: %v", err)
	}

	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for _, c := range []consent.Consent{
		NewPeriodConsent("fill-c1", fillClientA),
		NewSingleShareConsent("fill-c2", fillClientA),
		NewPeriodConsent("fill-c3", fillClientB),
	} {
		if err := s.RecordConsent(ctx, c); err != nil {
			t.Fatalf("RecordConsent(%s): %v", c.ID, err)
		}
	}
	if err := s.UseConsents(ctx, "fill-1", []string{"fill-c2"}); err != nil {
		t.Fatalf("UseConsents: %v", err)
	}
	if err := s.WithdrawConsent(ctx, fillClientB, "fill-c3", at); err != nil {
		t.Fatalf("WithdrawConsent: %v", err)
	}
	if err := s.RecordRestriction(ctx, fillClientA, at.Add(-48*time.Hour)); err != nil {
		t.Fatalf("RecordRestriction: %v", err)
	}
	if err := s.LiftRestriction(ctx, fillClientA, at.Add(-24*time.Hour)); err != nil {
		t.Fatalf("LiftRestriction: %v", err)
	}
	if err := s.RecordRestriction(ctx, fillClientB, at); err != nil {
		t.Fatalf("RecordRestriction: %v", err)
	}
	if err := s.SetLegalRepresentative(ctx, fillClientB, true); err != nil {
		t.Fatalf("SetLegalRepresentative: %v", err)
	}

	a, m := newArchive(t, s)
	f.Master = m
	for i, id := range ids[:4] {
		msg := signedMessage(id)
		client := fillClientA
		if i%2 == 1 {
			client = fillClientB
		}
		archivePut(t, a, id, client, msg)
		if client == fillClientA {
			f.Archived[id] = msg
		}
	}
	if err := a.Shred(ctx, fillClientB); err != nil {
		t.Fatalf("Shred: %v", err)
	}

	for _, id := range ids {
		f.Records = append(f.Records, get(t, s, id))
	}
	for _, c := range []string{fillClientA, fillClientB} {
		reg, err := s.ConsentRegister(ctx, c)
		if err != nil {
			t.Fatalf("ConsentRegister: %v", err)
		}
		f.Registers[c] = reg
	}
	f.Ledger = VerifyChain(t, s)
	return f
}

// CheckCopy checks that s holds what Fill wrote into the store it is a copy
// of (a restored backup, a store copied to another kind; the copy may hold
// more, written after Fill), and that it
// carries on where the original left off: the ledger verifies and the next
// entry chains onto it, every counter continues above what was handed out
// (no MessageID or Identificatie is used twice), a used single-share
// consent stays used, the archive still opens with the master key and the
// shredded client's messages stay unreadable.
func CheckCopy(t *testing.T, s FullStore, f Filled) {
	t.Helper()
	ctx := Ctx(t)
	for _, want := range f.Records {
		got := get(t, s, want.DisclosureID)
		if d := diffRecords(want, got); d != "" {
			t.Errorf("record %s differs in the copy: %s", want.DisclosureID, d)
		}
	}
	got := VerifyChain(t, s)
	// A copy taken while the store was written to may hold more.
	if len(got) < len(f.Ledger) {
		t.Fatalf("copy's ledger has %d entries, want at least %d", len(got), len(f.Ledger))
	}
	for i := range f.Ledger {
		if got[i].Hash != f.Ledger[i].Hash {
			t.Fatalf("ledger entry %d: hash %s, want %s", got[i].Seq, got[i].Hash, f.Ledger[i].Hash)
		}
	}
	for client, want := range f.Registers {
		reg, err := s.ConsentRegister(ctx, client)
		if err != nil {
			t.Fatalf("ConsentRegister: %v", err)
		}
		if len(reg.Consents) != len(want.Consents) || len(reg.Restrictions) != len(want.Restrictions) ||
			reg.LegalRepresentativeRecorded != want.LegalRepresentativeRecorded {
			t.Errorf("register of a client differs: %d consents, %d restrictions, representative %v; want %d, %d, %v",
				len(reg.Consents), len(reg.Restrictions), reg.LegalRepresentativeRecorded,
				len(want.Consents), len(want.Restrictions), want.LegalRepresentativeRecorded)
			continue
		}
		for i := range want.Consents {
			if d := diffConsent(want.Consents[i], reg.Consents[i]); d != "" {
				t.Errorf("consent %s differs: %s", want.Consents[i].ID, d)
			}
		}
	}
	if err := s.UseConsents(ctx, "fill-new", []string{"fill-c2"}); !errors.Is(err, consent.ErrConsentUsed) {
		t.Errorf("using the used single-share consent again: %v, want ErrConsentUsed", err)
	}

	a := newArchiveWith(t, s, f.Master)
	for id, msg := range f.Archived {
		archiveGet(t, a, id, msg)
	}
	if _, err := a.Get(ctx, "fill-2"); !errors.Is(err, archive.ErrShredded) {
		t.Errorf("a shredded client's message: %v, want ErrShredded", err)
	}

	// The counters continue: a new disclosure of every kind gets a higher
	// Identificatie, and its MessageID is new.
	used := map[string]bool{}
	for _, r := range f.Records {
		used[r.MessageID] = true
	}
	keys := make([]string, 0, len(f.Counters))
	for k := range f.Counters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		var municipality, messageType string
		if _, err := fmt.Sscanf(k, "%4s/%s", &municipality, &messageType); err != nil {
			t.Fatal(err)
		}
		r := register(t, s, NewRecord("after-"+strconv.Itoa(i), municipality, messageType))
		n, err := strconv.ParseInt(r.Identificatie, 10, 64)
		if err != nil {
			t.Fatalf("Identificatie %q: %v", r.Identificatie, err)
		}
		if n <= f.Counters[k] || used[r.MessageID] {
			t.Errorf("%s: next Identificatie %d (MessageID %s), want above %d and a MessageID not used before",
				k, n, r.MessageID, f.Counters[k])
		}
	}
	after := VerifyChain(t, s)
	if len(after) <= len(f.Ledger) {
		t.Fatalf("ledger did not grow after new registrations: %d entries", len(after))
	}
}
