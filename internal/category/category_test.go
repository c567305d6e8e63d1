package category

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// minimal is the smallest valid-looking request: identification, one
// contact, one product.
func minimal() disclosure.Request {
	return disclosure.Request{
		ID: "d-1",
		Client: disclosure.Client{
			BSN: "999900006", BirthDate: "1967-08-13", Gender: "1",
			Name:     disclosure.Name{Surname: "Wit", NameUsage: "1"},
			Contacts: []disclosure.Contact{{Kind: "01"}},
		},
		Assignment: disclosure.Assignment{Products: []disclosure.Product{{Number: 1}}},
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		name   string
		modify func(r *disclosure.Request)
		want   []Category
	}{
		{"minimal request", func(*disclosure.Request) {}, []Category{CareAssignment, Contact, Identification}},
		{"with communication", func(r *disclosure.Request) {
			r.Client.Communication = &disclosure.Communication{Form: "1"}
		}, []Category{CareAssignment, Communication, Contact, Identification}},
		{"with legal status only", func(r *disclosure.Request) { r.Client.LegalStatus = "01" },
			[]Category{CareAssignment, Contact, Identification, LegalStatus}},
		{"with representation only", func(r *disclosure.Request) { r.Client.Representation = "02" },
			[]Category{CareAssignment, Contact, Identification, LegalStatus}},
		{"with client comment", func(r *disclosure.Request) { r.Client.Comment = "x" },
			[]Category{CareAssignment, Contact, FreeText, Identification}},
		{"with product comment", func(r *disclosure.Request) {
			r.Assignment.Products = append(r.Assignment.Products, disclosure.Product{Number: 2, Comment: "x"})
		}, []Category{CareAssignment, Contact, FreeText, Identification}},
		{"with relations", func(r *disclosure.Request) {
			r.Client.Relations = []disclosure.Relation{{Number: "1"}, {Number: "2"}}
		}, []Category{CareAssignment, Contact, Identification, Relations}},
		{"everything", func(r *disclosure.Request) {
			r.Client.Communication = &disclosure.Communication{Form: "1"}
			r.Client.LegalStatus = "01"
			r.Client.Representation = "02"
			r.Client.Comment = "x"
			r.Client.Relations = []disclosure.Relation{{Number: "1"}}
		}, All()},
		{"empty request", func(r *disclosure.Request) { *r = disclosure.Request{} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := minimal()
			tt.modify(&r)
			got := Of(r)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Of() = %v, want %v", got, tt.want)
			}
			if !slices.IsSorted(got) {
				t.Errorf("Of() not sorted: %v", got)
			}
			if len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("Of() has duplicates: %v", got)
			}
		})
	}
}

// TestEveryClientFieldHasACategory fails when the contract grows a field
// that this package does not place in a category: a new field must be
// classified before it can be consented to.
func TestEveryClientFieldHasACategory(t *testing.T) {
	classified := map[string]Category{
		"BSN": Identification, "BirthDate": Identification, "BirthDateUsage": Identification,
		"Gender": Identification, "Name": Identification,
		"Communication": Communication,
		"LegalStatus":   LegalStatus, "Representation": LegalStatus,
		"Comment":   FreeText,
		"Relations": Relations,
		"Contacts":  Contact,
	}
	ct := reflect.TypeOf(disclosure.Client{})
	for i := range ct.NumField() {
		f := ct.Field(i).Name
		if _, ok := classified[f]; !ok {
			t.Errorf("disclosure.Client.%s has no data category", f)
		}
	}
	pt := reflect.TypeOf(disclosure.Product{})
	for i := range pt.NumField() {
		f := pt.Field(i).Name
		known := []string{"Number", "ProviderReference", "Product", "AssignedOn", "AssignedAt", "Start", "End", "ChangeReason", "Volume", "Budget", "Comment"}
		if !slices.Contains(known, f) {
			t.Errorf("disclosure.Product.%s has no data category", f)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range All() {
		t.Run(string(c), func(t *testing.T) {
			got, err := Parse(string(c))
			if err != nil || got != c {
				t.Fatalf("Parse(%q) = %q, %v", c, got, err)
			}
			if !c.Valid() {
				t.Errorf("%q not Valid", c)
			}
		})
	}
	for _, bad := range []string{"", "Contact", "address", "identification "} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := Parse(bad); !errors.Is(err, ErrUnknown) {
				t.Fatalf("Parse(%q) err = %v, want ErrUnknown", bad, err)
			}
			if Category(bad).Valid() {
				t.Errorf("%q Valid", bad)
			}
		})
	}
}

func TestAll(t *testing.T) {
	a := All()
	if len(a) != 7 || !slices.IsSorted(a) {
		t.Fatalf("All() = %v", a)
	}
	a[0] = "mutated"
	if All()[0] == "mutated" {
		t.Error("All() shares its backing array")
	}
}
