package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/sluis-gateway/sluis/adapters/store/internal/storecore"
	"github.com/sluis-gateway/sluis/internal/receipts"
)

// testByClient: ByClient answers the access report (internal/rights): only
// the asked municipality's disclosures of the asked client, in
// registration order, with their states; none is an empty list.
func testByClient(t *testing.T, s Store) {
	ctx := Ctx(t)
	put := func(id, municipality, client string) {
		r := NewRecord(id, municipality, "WMO301")
		r.ClientKey = client
		register(t, s, r)
	}
	put("bc-3", "0363", "client-a")
	put("bc-1", "0363", "client-a")
	put("bc-other-client", "0363", "client-b")
	put("bc-other-municipality", "0599", "client-a")
	put("bc-2", "0363", "client-a")
	move(t, s, "bc-1", receipts.Allowed, receipts.Published, receipts.Delivered)
	move(t, s, "bc-2", receipts.Refused)

	cases := []struct {
		name, municipality, client string
		want                       []string
	}{
		{"one client of one municipality, registration order", "0363", "client-a", []string{"bc-3", "bc-1", "bc-2"}},
		{"another municipality sees only its own", "0599", "client-a", []string{"bc-other-municipality"}},
		{"another client", "0363", "client-b", []string{"bc-other-client"}},
		{"a municipality without disclosures of the client", "0014", "client-a", []string{}},
		{"an unknown client", "0363", "client-z", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ByClient(ctx, tc.municipality, tc.client)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("ByClient returned nil, want an empty list")
			}
			ids := []string{}
			for _, r := range got {
				ids = append(ids, r.DisclosureID)
				if r.Municipality != tc.municipality || r.ClientKey != tc.client {
					t.Errorf("%s: municipality %s client %s", r.DisclosureID, r.Municipality, r.ClientKey)
				}
				if d := diffRecords(get(t, s, r.DisclosureID), r); d != "" {
					t.Errorf("%s differs from Get: %s", r.DisclosureID, d)
				}
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("ByClient = %v, want %v", ids, tc.want)
			}
		})
	}
	if _, err := s.ByClient(ctx, "0363", ""); !errors.Is(err, storecore.ErrBadArgument) {
		t.Fatalf("empty client key: %v, want a bad argument", err)
	}
}
