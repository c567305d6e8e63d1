package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
)

// ArchiveStore is what the archive contract suite tests: archive.Store and
// a raw read of the stored bytes, so the suite can look at what is at rest.
type ArchiveStore interface {
	archive.Store
	// ArchiveRaw returns an entry's ciphertext and its data key's wrapped
	// bytes as stored (test builds only).
	ArchiveRaw(ctx context.Context, disclosureID string) (ciphertext, wrapped []byte, err error)
}

// RunArchive runs the archive contract suite; each subtest gets its own
// store from newStore (empty, migrated, closed in t.Cleanup).
func RunArchive(t *testing.T, newStore func(t *testing.T) ArchiveStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ArchiveStore)
	}{
		{"put and get round trip", testArchiveRoundTrip},
		{"get of an unknown id is not found", testArchiveNotFound},
		{"shredding one client leaves the other readable", testArchiveShred},
		{"the ciphertext at rest does not hold the message", testArchiveAtRest},
		{"a wrong master key cannot read, a rotated one can", testArchiveMasterKeys},
		{"re-put is idempotent when identical, refused when different", testArchiveReput},
		{"concurrent puts for one client create one data key", testArchiveConcurrentKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// Client keys of the suite (keyed-hash shaped).
const (
	archiveClientA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	archiveClientB = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
)

// archiveT0 is the suite's clock: archive times are exact.
var archiveT0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func newArchive(t *testing.T, s archive.Store, opts ...archive.Option) (*archive.Archive, archive.MasterKey) {
	t.Helper()
	m := randomMasterKey(t)
	return newArchiveWith(t, s, m, opts...), m
}

func newArchiveWith(t *testing.T, s archive.Store, m archive.MasterKey, opts ...archive.Option) *archive.Archive {
	t.Helper()
	opts = append([]archive.Option{archive.WithClock(func() time.Time { return archiveT0 })}, opts...)
	a, err := archive.New(s, m, opts...)
	if err != nil {
		t.Fatalf("archive.New: %v", err)
	}
	return a
}

func randomMasterKey(t *testing.T) archive.MasterKey {
	t.Helper()
	m, err := archive.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// signedMessage is a message shaped like a signed envelope, with a BSN the
// suite looks for at rest.
func signedMessage(id string) []byte {
	return []byte(fmt.Sprintf(`<sluis:Envelope id=%q><Bericht><Bsn>999993653</Bsn><Naam>Jansen</Naam></Bericht><ds:Signature/></sluis:Envelope>`, id))
}

func archivePut(t *testing.T, a *archive.Archive, id, client string, msg []byte) {
	t.Helper()
	if err := a.Put(Ctx(t), id, client, msg, archiveT0.AddDate(15, 0, 0)); err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
}

func archiveGet(t *testing.T, a *archive.Archive, id string, want []byte) {
	t.Helper()
	got, err := a.Get(Ctx(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) = %q, want %q", id, got, want)
	}
}

func testArchiveRoundTrip(t *testing.T, s ArchiveStore) {
	a, _ := newArchive(t, s)
	msg := signedMessage("d-1")
	archivePut(t, a, "d-1", archiveClientA, msg)
	archiveGet(t, a, "d-1", msg)
	es, err := a.List(Ctx(t), archiveClientA)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := archive.Entry{DisclosureID: "d-1", ArchivedAt: archiveT0, RetainUntil: archiveT0.AddDate(15, 0, 0)}
	if len(es) != 1 || es[0].DisclosureID != want.DisclosureID || !es[0].ArchivedAt.Equal(want.ArchivedAt) ||
		!es[0].RetainUntil.Equal(want.RetainUntil) || es[0].Shredded {
		t.Fatalf("List = %+v, want [%+v]", es, want)
	}
	if es, err := a.List(Ctx(t), archiveClientB); err != nil || len(es) != 0 {
		t.Fatalf("List(other client) = %+v, %v; want none", es, err)
	}
}

func testArchiveNotFound(t *testing.T, s ArchiveStore) {
	a, _ := newArchive(t, s)
	if _, err := a.Get(Ctx(t), "no-such-id"); !errors.Is(err, archive.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func testArchiveShred(t *testing.T, s ArchiveStore) {
	a, _ := newArchive(t, s)
	for _, id := range []string{"a-1", "a-2"} {
		archivePut(t, a, id, archiveClientA, signedMessage(id))
	}
	archivePut(t, a, "b-1", archiveClientB, signedMessage("b-1"))
	if err := a.Shred(Ctx(t), archiveClientA); err != nil {
		t.Fatalf("Shred: %v", err)
	}
	if err := a.Shred(Ctx(t), archiveClientA); err != nil {
		t.Fatalf("Shred again: %v", err)
	}
	for _, id := range []string{"a-1", "a-2"} {
		if got, err := a.Get(Ctx(t), id); !errors.Is(err, archive.ErrShredded) || got != nil {
			t.Fatalf("Get(%s) after shred = %q, %v; want ErrShredded", id, got, err)
		}
		if _, wrapped, err := s.ArchiveRaw(Ctx(t), id); err != nil || len(wrapped) != 0 {
			t.Fatalf("wrapped key of %s after shred: %d bytes, %v; want erased", id, len(wrapped), err)
		}
	}
	archiveGet(t, a, "b-1", signedMessage("b-1"))

	// The client's later messages are archived under a new key; the old
	// ones stay unreadable and are listed as shredded.
	archivePut(t, a, "a-3", archiveClientA, signedMessage("a-3"))
	archiveGet(t, a, "a-3", signedMessage("a-3"))
	if _, err := a.Get(Ctx(t), "a-1"); !errors.Is(err, archive.ErrShredded) {
		t.Fatalf("Get(a-1) after a new put = %v, want ErrShredded", err)
	}
	es, err := a.List(Ctx(t), archiveClientA)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	shredded := map[string]bool{}
	for _, e := range es {
		shredded[e.DisclosureID] = e.Shredded
	}
	if len(es) != 3 || !shredded["a-1"] || !shredded["a-2"] || shredded["a-3"] {
		t.Fatalf("List after shred = %+v, want a-1 and a-2 shredded, a-3 not", es)
	}
}

func testArchiveAtRest(t *testing.T, s ArchiveStore) {
	a, _ := newArchive(t, s)
	msg := signedMessage("d-rest")
	archivePut(t, a, "d-rest", archiveClientA, msg)
	ct, wrapped, err := s.ArchiveRaw(Ctx(t), "d-rest")
	if err != nil {
		t.Fatalf("ArchiveRaw: %v", err)
	}
	if len(ct) < len(msg) {
		t.Fatalf("ciphertext %d bytes, message %d", len(ct), len(msg))
	}
	for _, plain := range [][]byte{msg, []byte("999993653"), []byte("Jansen"), []byte("Envelope")} {
		if bytes.Contains(ct, plain) {
			t.Fatalf("ciphertext at rest contains %q", plain)
		}
	}
	if len(wrapped) == 0 {
		t.Fatal("no wrapped data key stored")
	}
}

func testArchiveMasterKeys(t *testing.T, s ArchiveStore) {
	a, old := newArchive(t, s)
	msg := signedMessage("d-mk")
	archivePut(t, a, "d-mk", archiveClientA, msg)

	wrong := newArchiveWith(t, s, randomMasterKey(t))
	if got, err := wrong.Get(Ctx(t), "d-mk"); !errors.Is(err, archive.ErrUnknownMasterKey) || got != nil {
		t.Fatalf("Get with a wrong master key = %q, %v; want ErrUnknownMasterKey", got, err)
	}
	if err := wrong.Put(Ctx(t), "d-mk-2", archiveClientA, msg, archiveT0); !errors.Is(err, archive.ErrUnknownMasterKey) {
		t.Fatalf("Put with a wrong master key = %v, want ErrUnknownMasterKey", err)
	}

	// Rotation: the new master key wraps new clients' keys, the previous
	// one still unwraps the old.
	rotated := newArchiveWith(t, s, randomMasterKey(t), archive.WithPreviousMasterKeys(old))
	archiveGet(t, rotated, "d-mk", msg)
	archivePut(t, rotated, "d-mk-b", archiveClientB, signedMessage("d-mk-b"))
	archiveGet(t, rotated, "d-mk-b", signedMessage("d-mk-b"))
	if _, err := a.Get(Ctx(t), "d-mk-b"); !errors.Is(err, archive.ErrUnknownMasterKey) {
		t.Fatalf("old master key reads a key wrapped by the new one: %v", err)
	}
}

func testArchiveReput(t *testing.T, s ArchiveStore) {
	a, _ := newArchive(t, s)
	msg := signedMessage("d-re")
	archivePut(t, a, "d-re", archiveClientA, msg)
	tests := []struct {
		name   string
		client string
		msg    []byte
		want   error
	}{
		{"identical", archiveClientA, msg, nil},
		{"other message", archiveClientA, signedMessage("d-other"), archive.ErrConflict},
		{"other client", archiveClientB, msg, archive.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Put(Ctx(t), "d-re", tt.client, tt.msg, archiveT0.AddDate(15, 0, 0))
			if !errors.Is(err, tt.want) {
				t.Fatalf("re-Put = %v, want %v", err, tt.want)
			}
		})
	}
	archiveGet(t, a, "d-re", msg)
}

func testArchiveConcurrentKey(t *testing.T, s ArchiveStore) {
	a, _ := newArchive(t, s)
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("c-%02d", i)
			errs[i] = a.Put(Ctx(t), id, archiveClientA, signedMessage(id), archiveT0.AddDate(20, 0, 0))
		}()
	}
	wg.Wait()
	keys := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put c-%02d: %v", i, err)
		}
		id := fmt.Sprintf("c-%02d", i)
		e, err := s.ArchiveGet(Ctx(t), id)
		if err != nil {
			t.Fatalf("ArchiveGet(%s): %v", id, err)
		}
		keys[e.KeyID] = true
		archiveGet(t, a, id, signedMessage(id))
	}
	if len(keys) != 1 {
		t.Fatalf("%d data keys for one client, want 1", len(keys))
	}
}
