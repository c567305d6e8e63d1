package archive_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/archive"
)

// memStore is an in-memory archive.Store for the package's own tests; the
// real stores pass adapters/store/storetest's archive suite.
type memStore struct {
	mu      sync.Mutex
	keys    map[string]archive.DataKey
	shred   map[string]bool
	entries map[string]archive.Sealed
}

func newMemStore() *memStore {
	return &memStore{keys: map[string]archive.DataKey{}, shred: map[string]bool{}, entries: map[string]archive.Sealed{}}
}

func (m *memStore) live(client string) (archive.DataKey, bool) {
	for id, k := range m.keys {
		if k.ClientKey == client && !m.shred[id] {
			return k, true
		}
	}
	return archive.DataKey{}, false
}

func (m *memStore) ArchiveCreateKey(_ context.Context, k archive.DataKey) (archive.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.live(k.ClientKey); ok {
		return l, nil
	}
	m.keys[k.ID] = k
	return k, nil
}

func (m *memStore) ArchiveLiveKey(_ context.Context, client string) (archive.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.live(client); ok {
		return l, nil
	}
	return archive.DataKey{}, archive.ErrNotFound
}

func (m *memStore) ArchiveKey(_ context.Context, id string) (archive.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	switch {
	case !ok:
		return archive.DataKey{}, archive.ErrNotFound
	case m.shred[id]:
		return archive.DataKey{}, archive.ErrShredded
	}
	return k, nil
}

func (m *memStore) ArchivePut(_ context.Context, e archive.Sealed) (archive.Sealed, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.entries[e.DisclosureID]; ok {
		return old, false, nil
	}
	m.entries[e.DisclosureID] = e
	return e, true, nil
}

func (m *memStore) ArchiveGet(_ context.Context, id string) (archive.Sealed, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok {
		return archive.Sealed{}, archive.ErrNotFound
	}
	return e, nil
}

func (m *memStore) ArchiveList(_ context.Context, client string) ([]archive.Entry, error) {
	return nil, nil
}

func (m *memStore) ArchiveShred(_ context.Context, client string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, k := range m.keys {
		if k.ClientKey == client {
			m.shred[id] = true
		}
	}
	return nil
}

func masterKey(t *testing.T) archive.MasterKey {
	t.Helper()
	m, err := archive.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTamperedBytesDoNotDecrypt: a changed ciphertext, an entry moved to
// another disclosure id, or a wrapped key moved to another client fail
// authentication instead of returning altered content.
func TestTamperedBytesDoNotDecrypt(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(s *memStore)
	}{
		{"flipped ciphertext byte", func(s *memStore) {
			e := s.entries["d-1"]
			e.Ciphertext = bytes.Clone(e.Ciphertext)
			e.Ciphertext[len(e.Ciphertext)-1] ^= 1
			s.entries["d-1"] = e
		}},
		{"entry moved to another disclosure id", func(s *memStore) {
			e := s.entries["d-2"]
			e.DisclosureID = "d-1"
			s.entries["d-1"] = e
		}},
		{"wrapped key moved to another client", func(s *memStore) {
			var a, b archive.DataKey
			for _, k := range s.keys {
				if k.ClientKey == "client-a" {
					a = k
				} else {
					b = k
				}
			}
			a.Wrapped = b.Wrapped
			s.keys[a.ID] = a
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMemStore()
			a, err := archive.New(s, masterKey(t))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			until := time.Now().AddDate(15, 0, 0)
			for id, client := range map[string]string{"d-1": "client-a", "d-2": "client-a", "d-3": "client-b"} {
				if err := a.Put(ctx, id, client, []byte("<signed "+id+"/>"), until); err != nil {
					t.Fatal(err)
				}
			}
			tt.tamper(s)
			if got, err := a.Get(ctx, "d-1"); !errors.Is(err, archive.ErrUndecryptable) || got != nil {
				t.Fatalf("Get = %q, %v; want ErrUndecryptable", got, err)
			}
		})
	}
}

func TestPutRefusesBadArguments(t *testing.T) {
	a, err := archive.New(newMemStore(), masterKey(t))
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().AddDate(15, 0, 0)
	tests := []struct {
		name, id, client string
		msg              []byte
		until            time.Time
	}{
		{"empty id", "", "c", []byte("x"), until},
		{"empty client key", "d", "", []byte("x"), until},
		{"empty message", "d", "c", nil, until},
		{"no retention end", "d", "c", []byte("x"), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.Put(context.Background(), tt.id, tt.client, tt.msg, tt.until); !errors.Is(err, archive.ErrBadArgument) {
				t.Fatalf("Put = %v, want ErrBadArgument", err)
			}
		})
	}
	if _, err := archive.New(newMemStore(), archive.MasterKey{}); !errors.Is(err, archive.ErrBadMasterKey) {
		t.Fatalf("New without a master key = %v, want ErrBadMasterKey", err)
	}
	if _, err := archive.NewMasterKey(make([]byte, 16)); !errors.Is(err, archive.ErrBadMasterKey) {
		t.Fatalf("NewMasterKey(16 bytes) = %v, want ErrBadMasterKey", err)
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw := bytes.Repeat([]byte{7}, archive.KeySize)
	hexKey := []byte(strings.Repeat("07", archive.KeySize) + "\n")
	tests := []struct {
		name string
		file string
		want error
	}{
		{"hex, mode 0600", write("hex.key", hexKey, 0o600), nil},
		{"raw bytes, mode 0400", write("raw.key", raw, 0o400), nil},
		{"readable by the group", write("group.key", hexKey, 0o640), archive.ErrBadMasterKey},
		{"readable by all", write("world.key", hexKey, 0o644), archive.ErrBadMasterKey},
		{"too short", write("short.key", []byte("0707\n"), 0o600), archive.ErrBadMasterKey},
		{"not hex", write("nothex.key", bytes.Repeat([]byte("zz"), archive.KeySize), 0o600), archive.ErrBadMasterKey},
		{"missing", filepath.Join(dir, "missing.key"), os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := archive.LoadMasterKeyFile(tt.file)
			if !errors.Is(err, tt.want) {
				t.Fatalf("LoadMasterKeyFile = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "0707") {
				t.Fatalf("error quotes the key: %v", err)
			}
			if err == nil {
				want, _ := archive.NewMasterKey(raw)
				if m.ID() != want.ID() {
					t.Fatalf("key id %s, want %s", m.ID(), want.ID())
				}
			}
		})
	}

	t.Run("generate writes 0600 and never overwrites", func(t *testing.T) {
		p := filepath.Join(dir, "gen", "master.key")
		if err := archive.GenerateMasterKeyFile(p); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		first, err := archive.LoadMasterKeyFile(p)
		if err != nil {
			t.Fatalf("Load generated: %v", err)
		}
		if err := archive.GenerateMasterKeyFile(p); !errors.Is(err, archive.ErrExists) {
			t.Fatalf("second Generate = %v, want ErrExists", err)
		}
		again, err := archive.LoadMasterKeyFile(p)
		if err != nil || again.ID() != first.ID() {
			t.Fatalf("key changed after a refused Generate: %v", err)
		}
	})
}
