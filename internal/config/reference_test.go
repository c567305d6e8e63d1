package config

import (
	"reflect"
	"strings"
	"testing"
)

// Settings (generated) names exactly the variables Config reads.
func TestSettingsCoverConfig(t *testing.T) {
	want := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Anonymous {
				walk(f.Type)
			} else if name, ok := f.Tag.Lookup("env"); ok {
				want[name] = true
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
	got := map[string]bool{}
	for _, s := range Settings {
		got[s.Name] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Settings are stale (run go generate ./internal/config):\n got %v\nwant %v", got, want)
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"amqp password", "amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:xxxxx@127.0.0.1:5672/"},
		{"postgres password", "postgres://sluis:s3cret@db:5432/sluis?sslmode=verify-full", "postgres://sluis:xxxxx@db:5432/sluis?sslmode=verify-full"},
		{"user without password", "amqps://broker.example.org/sluis", "amqps://broker.example.org/sluis"},
		{"not a URL", "var/sluis.db", "var/sluis.db"},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Fatalf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEffectiveRedactsAndFormats(t *testing.T) {
	c, err := Parse(map[string]string{
		"SLUIS_STORE": "postgres", "SLUIS_POSTGRES_URL": "postgres://sluis:s3cret@db/sluis",
		"SLUIS_SIGNING_NEXT_KEY": "n.key", "SLUIS_SIGNING_NEXT_CERT": "n.cert", "SLUIS_SIGNING_NEXT_FROM": "2027-01-15T06:00:00Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := c.Effective()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vals {
		got[v.Name] = v.Value
	}
	if len(vals) != len(Settings) {
		t.Fatalf("%d values for %d settings", len(vals), len(Settings))
	}
	for name, want := range map[string]string{
		"SLUIS_POSTGRES_URL": "postgres://sluis:xxxxx@db/sluis", "SLUIS_AMQP_URL": "amqp://guest:xxxxx@127.0.0.1:5672/",
		"SLUIS_SIGNING_NEXT_FROM": "2027-01-15T06:00:00Z", "SLUIS_WORKERS": "32", "SLUIS_CONFIRM_TIMEOUT": "10s",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	for _, v := range vals {
		if strings.Contains(v.Value, "s3cret") || strings.Contains(v.Value, ":guest@") {
			t.Errorf("%s shows a password: %s", v.Name, v.Value)
		}
	}
}

func TestCheckListsEachProblem(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"defaults", map[string]string{}, nil},
		{"two values that do not parse", map[string]string{"SLUIS_WORKERS": "many", "SLUIS_PPROF": "perhaps"},
			[]string{"SLUIS_WORKERS: not a valid int", "SLUIS_PPROF: not a valid bool"}},
		{"a value out of range", map[string]string{"SLUIS_WORKERS": "0"}, []string{"SLUIS_WORKERS: must be between 1 and 1024"}},
		{"a console without the development login", map[string]string{"SLUIS_CONSOLE_ADDR": "127.0.0.1:8443"},
			[]string{"SLUIS_CONSOLE_ADDR: the console logs staff in only with the development login (SLUIS_DEV_LOGIN=true) today; its identity-provider login is not built yet: leave SLUIS_CONSOLE_ADDR empty and use the API"}},
		{"a console address that is no address", map[string]string{"SLUIS_CONSOLE_ADDR": "console", "SLUIS_DEV_LOGIN": "true"},
			[]string{"SLUIS_CONSOLE_ADDR: must be host:port, or empty for no console"}},
		{"a console with the development login", map[string]string{"SLUIS_CONSOLE_ADDR": "127.0.0.1:8443", "SLUIS_DEV_LOGIN": "true"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := Check(tc.env)
			if len(problems) != len(tc.want) {
				t.Fatalf("problems %q, want %q", problems, tc.want)
			}
			for _, w := range tc.want {
				found := false
				for _, p := range problems {
					found = found || p == w
				}
				if !found {
					t.Errorf("no problem %q in %q", w, problems)
				}
			}
		})
	}
}
