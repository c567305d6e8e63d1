package console

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/rights"
)

func TestProblemNL(t *testing.T) {
	bad := rights.Question{BSN: "123456789", Reference: "ZK-1"}.Check()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"a rights question", bad, "dit is geen BSN (9 cijfers die de 11-proef doorstaan)"},
		{"wrapped", fmt.Errorf("access: %w", bad), "dit is geen BSN (9 cijfers die de 11-proef doorstaan)"},
		{"a breach field", &breach.InvalidError{Reason: "summary is required", Dutch: "de beschrijving ontbreekt"}, "de beschrijving ontbreekt"},
		{"a casework field", &casework.RequestError{Field: "reason", Reason: "x", Dutch: "een reden hoort hier niet"}, "een reden hoort hier niet"},
		{"without a Dutch text", &casework.RequestError{Field: "reason", Reason: "only with outcome not_possible"}, "reason: only with outcome not_possible"},
		{"another error", errors.New("store unavailable"), "store unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := problemNL(tc.err); got != tc.want {
				t.Fatalf("problemNL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStateProblemNL(t *testing.T) {
	if got, want := stateProblemNL(breach.Dismissed), "deze handeling past niet bij een datalek dat afgewezen is"; got != want {
		t.Fatalf("stateProblemNL = %q, want %q", got, want)
	}
}
