package config

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Parse(map[string]string{})
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.Store != "sqlite" || !c.DevKeys || c.Workers < 1 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestBadConfigs(t *testing.T) {
	raw, err := os.ReadFile("testdata/bad.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name  string            `json:"name"`
		Env   map[string]string `json:"env"`
		Field string            `json:"field"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			_, err := Parse(tc.Env)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.Field) {
				t.Fatalf("error %q does not name %s", err, tc.Field)
			}
		})
	}
}
