package provider

import (
	"errors"
	"testing"
)

func TestDevelopmentRegistry(t *testing.T) {
	r := Development()
	if got := r.AGBs(); len(got) != 2 || got[0] != "42420001" || got[1] != "65656055" {
		t.Fatalf("AGBs = %v", got)
	}
	if _, err := r.Get("12345678"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown AGB: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	cases := []struct {
		name string
		ps   []Provider
	}{
		{"agb too short", []Provider{{AGB: "1234"}}},
		{"agb with letters", []Provider{{AGB: "1234567a"}}},
		{"agb twice", []Provider{{AGB: "12345678"}, {AGB: "12345678"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.ps); err == nil {
				t.Fatal("want error")
			}
		})
	}
}
