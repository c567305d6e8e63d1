package consent

import (
	"errors"
	"slices"
	"testing"
)

func TestPlanUse(t *testing.T) {
	found := map[string]Consent{
		"free":   {ID: "free", SingleShare: true},
		"mine":   {ID: "mine", SingleShare: true, UsedBy: "d-1"},
		"theirs": {ID: "theirs", SingleShare: true, UsedBy: "d-2"},
		"period": {ID: "period"},
	}
	tests := []struct {
		name string
		ids  []string
		mark []string
		err  error
	}{
		{"nothing", nil, nil, nil},
		{"one free", []string{"free"}, []string{"free"}, nil},
		{"already mine", []string{"mine"}, nil, nil},
		{"mine and free", []string{"free", "mine"}, []string{"free"}, nil},
		{"used by another", []string{"free", "theirs"}, nil, ErrConsentUsed},
		{"unknown", []string{"free", "nope"}, nil, ErrUnknownConsent},
		{"period consent", []string{"free", "period"}, nil, ErrNotSingleShare},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark, err := PlanUse("d-1", slices.Compact(slices.Sorted(slices.Values(tt.ids))), found)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			var ids []string
			for _, c := range mark {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tt.mark) {
				t.Fatalf("marks %q, want %q", ids, tt.mark)
			}
		})
	}
}
