package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// The personal data of the client in TestJSONLogs: none of it may appear
// anywhere in the gateway's log.
var logSecrets = []string{
	"999912008",         // BSN
	"Zonnebloemhof",     // surname
	"Marieke",           // given names
	"1984-02-29",        // birth date
	"19840229",          // the same, as the Bericht writes it
	"Lindenwaard",       // street
	"4817KT",            // postcode
	"Oosterbeemd",       // city
	"0612398765",        // phone
	"marieke@voorbeeld", // e-mail
}

// client301 is the example 301 for a client with the personal data of
// logSecrets, under id and legal basis basis.
func client301(t *testing.T, id string, basis map[string]any) []byte {
	t.Helper()
	m, _ := readExample(t, "iwmo-301.json")
	m["id"] = id
	m["legal_basis"] = basis
	c := m["client"].(map[string]any)
	c["bsn"] = "999912008"
	c["birth_date"] = "1984-02-29"
	c["name"] = map[string]any{"surname": "Zonnebloemhof", "given_names": "Marieke", "initials": "M", "name_usage": "1"}
	c["contacts"] = []any{map[string]any{
		"kind":    "01",
		"address": map[string]any{"house_number": 7, "postcode": "4817KT", "street": "Lindenwaard", "city": "Oosterbeemd", "country": "NL"},
		"phones":  []any{map[string]any{"number": "0612398765", "country_code": "0031"}},
		"email":   "marieke@voorbeeld.nl",
	}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJSONLogs runs disclosures of a client with known personal data
// through a gateway with SLUIS_LOG_FORMAT=json: one delivered (over HTTP),
// one refused by screening (over AMQP). Every line is a JSON object with
// time, level and msg; no line holds any of the client's data; every line
// written during the passes (at SLUIS_LOG_LEVEL debug) carries the
// disclosure_id of its pass; the refusal's line carries its reason codes.
func TestJSONLogs(t *testing.T) {
	h := &harness{t: t, url: testenv.VHost(t), logs: &syncBuffer{}, pending: map[string][]bus.Event{}}
	h.configure(t.TempDir())
	h.cfg.LogFormat = "json"
	h.startGateway()
	h.listen()
	mark := len(h.logs.String())

	delivered, refused := "0b7e3c52-4d1f-4a8e-9c3b-5f2a6d8e1c01", "0b7e3c52-4d1f-4a8e-9c3b-5f2a6d8e1c02"
	code, out := h.post(h.client, "application/json", client301(t, delivered,
		map[string]any{"kind": "legal_obligation", "decision_ref": "besluit-2026-0077"}))
	if code != http.StatusAccepted {
		t.Fatalf("POST: %d %v", code, out)
	}
	h.waitState(delivered, "delivered")
	h.send(client301(t, refused, map[string]any{"kind": "consent", "consent_ids": []any{"c-not-recorded"}}))
	ev := h.waitState(refused, "refused")
	h.waitCounter("sluis_disclosure_refusals_total", "reason", ev.ReasonCodes[0], 1)
	time.Sleep(200 * time.Millisecond) // the lines after the last status event (acks)

	all := h.logs.String()
	for _, secret := range logSecrets {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds personal data %q", secret)
		}
	}
	states := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(all[mark:]), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("not a JSON line: %q", line)
			continue
		}
		if l["time"] == nil || l["level"] == nil || l["msg"] == nil {
			t.Errorf("line without time, level or msg: %s", line)
		}
		id, _ := l["disclosure_id"].(string)
		if id != delivered && id != refused {
			t.Errorf("line of the passes without their disclosure_id: %s", line)
		}
		if l["msg"] == "disclosure state" {
			states[id] = append(states[id], l["state"].(string))
			if l["state"] == "refused" && l["reason_codes"] != strings.Join(ev.ReasonCodes, ",") {
				t.Errorf("refusal line %s, want reason_codes %v", line, ev.ReasonCodes)
			}
		}
	}
	if got := strings.Join(states[delivered], ","); got != "received,allowed,published,delivered" {
		t.Errorf("state lines of the delivered pass: %s", got)
	}
	if got := strings.Join(states[refused], ","); got != "received,refused" {
		t.Errorf("state lines of the refused pass: %s", got)
	}
	if n := h.counter("sluis_http_requests_total", "route", "/v1/disclosures"); n != 1 {
		t.Errorf("sluis_http_requests_total{route=\"/v1/disclosures\"} = %v, want 1", n)
	}
	if testing.Verbose() {
		t.Log(all[mark:])
	}
}
