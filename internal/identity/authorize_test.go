package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/sluis-gateway/sluis/internal/actor"
)

var demo = System{
	ID:             "regsys-a",
	Municipalities: []string{"0363", "0384"},
	LegalBases:     []string{BasisConsent, BasisLegalObligation},
	BrokerUser:     "regsys-a",
}

func TestMaySend(t *testing.T) {
	cases := []struct {
		name                        string
		municipality, system, basis string
		err                         error
		field                       string
	}{
		{"own system, own municipality, allowed basis", "0363", "regsys-a", BasisConsent, nil, ""},
		{"its second municipality", "0384", "regsys-a", BasisLegalObligation, nil, ""},
		{"another municipality", "0599", "regsys-a", BasisConsent, ErrSenderNotAllowed, FieldSenderMunicipality},
		{"another system's id", "0363", "regsys-b", BasisConsent, ErrSenderNotAllowed, FieldSenderSystem},
		{"empty municipality", "", "regsys-a", BasisConsent, ErrSenderNotAllowed, FieldSenderMunicipality},
		{"a withheld basis", "0363", "regsys-a", BasisSafetyOverride, ErrBasisNotAllowed, FieldLegalBasisKind},
		{"an unknown basis", "0363", "regsys-a", "vital_interest", ErrBasisNotAllowed, FieldLegalBasisKind},
		{"a spoofed sender is refused before its basis", "0599", "regsys-a", BasisSafetyOverride, ErrSenderNotAllowed, FieldSenderMunicipality},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := MaySend(demo, tc.municipality, tc.system, tc.basis)
			if !errors.Is(err, tc.err) {
				t.Fatalf("MaySend = %v, want %v", err, tc.err)
			}
			if tc.err == nil {
				return
			}
			var re *RefusedError
			if !errors.As(err, &re) || re.Field != tc.field {
				t.Fatalf("refusal %v does not name %s", err, tc.field)
			}
		})
	}
}

func TestMayActForNobody(t *testing.T) {
	if err := MayActFor(System{}, "", ""); !errors.Is(err, ErrSenderNotAllowed) {
		t.Fatalf("the zero system may act: %v", err)
	}
}

func TestActAs(t *testing.T) {
	cases := []struct {
		name                           string
		ctx                            context.Context
		municipality, system, employee string
		err                            error
		actor                          string
	}{
		{"authenticated, own sender", WithSystem(context.Background(), demo), "0363", "regsys-a", "e-7f3a", nil, "system:regsys-a@0363 employee:e-7f3a"},
		{"authenticated, another municipality", WithSystem(context.Background(), demo), "0599", "regsys-a", "e-7f3a", ErrSenderNotAllowed, "system:regsys-a"},
		{"not authenticated", context.Background(), "0363", "regsys-a", "e-7f3a", ErrUnauthenticated, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, err := ActAs(tc.ctx, tc.municipality, tc.system, tc.employee)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ActAs = %v, want %v", err, tc.err)
			}
			a, aerr := actor.From(ctx)
			if tc.actor == "" {
				if aerr == nil {
					t.Fatalf("actor %s in an unauthenticated context", a)
				}
				return
			}
			if aerr != nil || a.String() != tc.actor {
				t.Fatalf("actor = %s (%v), want %s", a, aerr, tc.actor)
			}
		})
	}
}

func TestMayReadFor(t *testing.T) {
	cases := []struct {
		name         string
		staff        Staff
		municipality string
		err          error
	}{
		{"own municipality", Staff{ID: "s-1", Municipality: "0363", Roles: []Role{RoleCoordinator}}, "0363", nil},
		{"another municipality", Staff{ID: "s-1", Municipality: "0363", Roles: []Role{RoleCoordinator}}, "0599", ErrMunicipalityNotAllowed},
		{"a member of no municipality sees none", Staff{ID: "s-2", Roles: []Role{RoleOperator}}, "0363", ErrMunicipalityNotAllowed},
		{"no municipality asked, none held", Staff{ID: "s-2", Roles: []Role{RoleOperator}}, "", ErrMunicipalityNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := MayReadFor(tc.staff, tc.municipality); !errors.Is(err, tc.err) {
				t.Fatalf("MayReadFor = %v, want %v", err, tc.err)
			}
		})
	}
}
