package amqp

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const asyncAPIFile = "../../docs/api/asyncapi.json"

type asyncDoc struct {
	AsyncAPI string `json:"asyncapi"`
	Channels map[string]struct {
		Address  string                     `json:"address"`
		Messages map[string]json.RawMessage `json:"messages"`
		Bindings struct {
			AMQP struct {
				Is       string `json:"is"`
				Exchange struct {
					Name, Type string
					Durable    bool
				} `json:"exchange"`
				Queue struct {
					Name    string
					Durable bool
				} `json:"queue"`
			} `json:"amqp"`
		} `json:"bindings"`
	} `json:"channels"`
	Operations map[string]struct {
		Action   string            `json:"action"`
		Channel  map[string]string `json:"channel"`
		Messages []map[string]string
	} `json:"operations"`
	Components struct {
		Messages map[string]struct {
			Payload json.RawMessage `json:"payload"`
			Headers json.RawMessage `json:"headers"`
		} `json:"messages"`
	} `json:"components"`
}

func loadAsyncAPI(t *testing.T) asyncDoc {
	t.Helper()
	raw, err := os.ReadFile(asyncAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var d asyncDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", asyncAPIFile, err)
	}
	return d
}

// TestAsyncAPIDescribesTheTopology: docs/api/asyncapi.json (AsyncAPI 3.0)
// has a channel for every exchange (name and type) and every queue the
// topology declares, the provider queues as sluis.provider.{agb}, and no
// channel the topology lacks other than the registration systems' own
// status queues.
func TestAsyncAPIDescribesTheTopology(t *testing.T) {
	d := loadAsyncAPI(t)
	if d.AsyncAPI != "3.0.0" {
		t.Fatalf("asyncapi %q, want 3.0.0", d.AsyncAPI)
	}
	pl, err := Topology{Providers: []string{"42420001"}, Systems: []string{"regsys-a"}}.plan()
	if err != nil {
		t.Fatal(err)
	}
	var wantEx, gotEx, wantQ, gotQ []string
	for _, e := range pl.Exchanges {
		wantEx = append(wantEx, e.Name+" "+e.Kind)
	}
	for _, q := range pl.Queues {
		name := strings.Replace(q.Name, ProviderQueue("42420001"), ProviderQueuePrefix+"{agb}", 1)
		name = strings.Replace(name, RetourQueue("42420001"), RetourQueuePrefix+"{agb}", 1)
		wantQ = append(wantQ, strings.Replace(name, SystemInboundQueue("regsys-a"), "sluis.system.{system}.inbound", 1))
	}
	for name, c := range d.Channels {
		b := c.Bindings.AMQP
		switch b.Is {
		case "routingKey":
			if b.Exchange.Name != c.Address || !b.Exchange.Durable {
				t.Errorf("channel %s: exchange %+v at address %s", name, b.Exchange, c.Address)
			}
			gotEx = append(gotEx, b.Exchange.Name+" "+b.Exchange.Type)
		case "queue":
			if b.Queue.Name != c.Address || !b.Queue.Durable {
				t.Errorf("channel %s: queue %+v at address %s", name, b.Queue, c.Address)
			}
			if c.Address != "sluis.status.{system}" {
				gotQ = append(gotQ, c.Address)
			}
		default:
			t.Errorf("channel %s: amqp binding is %q", name, b.Is)
		}
	}
	for _, s := range [][]string{wantEx, gotEx, wantQ, gotQ} {
		sort.Strings(s)
	}
	if !slices.Equal(wantEx, gotEx) {
		t.Errorf("exchanges: topology %v, described %v", wantEx, gotEx)
	}
	if !slices.Equal(wantQ, gotQ) {
		t.Errorf("queues: topology %v, described %v", wantQ, gotQ)
	}
}

// TestAsyncAPIReferencesResolve: every operation names a channel of the
// document and messages of that channel; every channel's message is a
// component message; every payload and headers schema compiles (JSON
// Schema 2020-12), with its $refs into docs/contract and openapi.json.
func TestAsyncAPIReferencesResolve(t *testing.T) {
	d := loadAsyncAPI(t)
	for name, op := range d.Operations {
		ch, ok := strings.CutPrefix(op.Channel["$ref"], "#/channels/")
		c, found := d.Channels[ch]
		if !ok || !found {
			t.Errorf("operation %s: channel %q", name, op.Channel["$ref"])
			continue
		}
		if op.Action != "send" && op.Action != "receive" {
			t.Errorf("operation %s: action %q", name, op.Action)
		}
		if len(op.Messages) == 0 {
			t.Errorf("operation %s: no messages", name)
		}
		for _, m := range op.Messages {
			msg, ok := strings.CutPrefix(m["$ref"], "#/channels/"+ch+"/messages/")
			if _, found := c.Messages[msg]; !ok || !found {
				t.Errorf("operation %s: message %q is not of channel %s", name, m["$ref"], ch)
			}
		}
	}
	for name, c := range d.Channels {
		for key, raw := range c.Messages {
			var ref map[string]string
			_ = json.Unmarshal(raw, &ref)
			m, ok := strings.CutPrefix(ref["$ref"], "#/components/messages/")
			if _, found := d.Components.Messages[m]; !ok || !found {
				t.Errorf("channel %s message %s: %s", name, key, raw)
			}
		}
	}
	abs, err := filepath.Abs(asyncAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	base := (&url.URL{Scheme: "file", Path: abs}).String()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	for name := range d.Components.Messages {
		for _, part := range []string{"payload", "headers"} {
			ptr := base + "#/components/messages/" + name + "/" + part
			if part == "headers" && d.Components.Messages[name].Headers == nil {
				continue
			}
			if _, err := c.Compile(ptr); err != nil {
				t.Errorf("message %s %s: %v", name, part, err)
			}
		}
	}
}
