package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/identity"
)

// staffDo sends method path with a JSON body (nil: none) and a staff
// token (empty: none) over the API's mutual TLS; it returns the status and
// the body.
func (h *harness) staffDo(method, path, token string, body any) (int, []byte, http.Header) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.api(path), rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func decodeAs[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// The breach register over the API, against the real gateway: who may use
// it, a recorded breach with its deadline, scoping, versions, the data
// subjects matching the ledger, an operator's key-compromise declaration
// proposed and confirmed, the AP export, and every read in the ledger.
func TestEndToEndBreachRegister(t *testing.T) {
	h := start(t)
	po := h.staffToken(identity.RolePrivacyOfficer, "0363")
	other := h.staffToken(identity.RolePrivacyOfficer, "0599")

	// A delivered disclosure of 0363, to name in the breach.
	m, body := readExample(t, "iwmo-301.json")
	id := m["id"].(string)
	h.send(body)
	h.waitState(id, "delivered")

	record := map[string]any{
		"summary": "Overdrachtsbericht per e-mail naar een verkeerde aanbieder gestuurd.",
		"kinds":   []string{"confidentiality"}, "data_categories": []string{"identification", "care_assignment"},
		"subjects_approx": 1, "records_approx": 1, "disclosure_ids": []string{id},
		"consequences": "Inzage in zorggegevens door een onbevoegde.", "measures": "Aanbieder gevraagd het bericht te verwijderen.",
	}
	t.Run("who may use it", func(t *testing.T) {
		for _, c := range []struct {
			name, token string
			want        int
		}{
			{"no token", "", http.StatusUnauthorized},
			{"an employee", h.staffToken(identity.RoleEmployee, "0363"), http.StatusForbidden},
			{"a coordinator", h.staffToken(identity.RoleCoordinator, "0363"), http.StatusForbidden},
		} {
			if code, b, _ := h.staffDo(http.MethodPost, "/v1/breaches", c.token, record); code != c.want {
				t.Fatalf("%s: %d %s, want %d", c.name, code, b, c.want)
			}
		}
		if code, _, _ := h.staffDo(http.MethodPost, "/v1/signals/key-compromised", po, map[string]any{"since": time.Now().Add(-time.Hour)}); code != http.StatusForbidden {
			t.Fatalf("a privacy officer declares a key compromised: %d", code)
		}
	})

	code, b, hdr := h.staffDo(http.MethodPost, "/v1/breaches", po, record)
	if code != http.StatusCreated {
		t.Fatalf("record: %d %s", code, b)
	}
	inc := decodeAs[map[string]any](t, b)
	bid := inc["id"].(string)
	if hdr.Get("Location") != "/v1/breaches/"+bid || inc["state"] != "confirmed" || inc["deadline"] != "open" ||
		inc["ap_due"] == "" || inc["version"] != float64(1) {
		t.Fatalf("recorded: %s (Location %s)", b, hdr.Get("Location"))
	}
	aware, _ := time.Parse(time.RFC3339, inc["aware_at"].(string))
	due, _ := time.Parse(time.RFC3339, inc["ap_due"].(string))
	if due.Sub(aware.Truncate(time.Second)) > 72*time.Hour || due.Sub(aware) < 72*time.Hour-time.Second {
		t.Fatalf("ap_due %s is not aware_at %s + 72 h", due, aware)
	}

	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct {
			name, method, path string
			body               any
			want               int
			says               string
		}{
			{"unknown field", http.MethodPost, "/v1/breaches", map[string]any{"summary": "x", "kinds": []string{"integrity"}, "bsn": "999900006"},
				http.StatusBadRequest, `unknown field \"bsn\"`},
			{"missing summary", http.MethodPost, "/v1/breaches", map[string]any{"kinds": []string{"integrity"}}, http.StatusBadRequest, "summary is required"},
			{"no version", http.MethodPatch, "/v1/breaches/" + bid, map[string]any{"measures": "x"}, http.StatusBadRequest, "version is required"},
			{"stale version", http.MethodPatch, "/v1/breaches/" + bid, map[string]any{"version": 7, "measures": "x"}, http.StatusConflict, "changed since it was read"},
			{"notification fields on PATCH", http.MethodPatch, "/v1/breaches/" + bid, map[string]any{"version": 1, "ap_reference": "x"},
				http.StatusBadRequest, "notifications"},
			{"dismiss a confirmed breach", http.MethodPost, "/v1/breaches/" + bid + "/dismiss", map[string]any{"version": 1, "reason": "x"},
				http.StatusBadRequest, "confirmed"},
			{"not required without reason", http.MethodPost, "/v1/breaches/" + bid + "/notifications",
				map[string]any{"version": 1, "ap_notification": "not_required"}, http.StatusBadRequest, "ap_not_required_reason"},
			{"unknown incident", http.MethodGet, "/v1/breaches/brk-0000000000000000", nil, http.StatusNotFound, "not found"},
		} {
			t.Run(c.name, func(t *testing.T) {
				code, b, _ := h.staffDo(c.method, c.path, po, c.body)
				if code != c.want || !strings.Contains(string(b), c.says) {
					t.Fatalf("%d %s, want %d saying %q", code, b, c.want, c.says)
				}
				if strings.Contains(string(b), "999900006") {
					t.Fatalf("the refusal repeats a value: %s", b)
				}
			})
		}
	})

	t.Run("scoped to the municipality", func(t *testing.T) {
		code, b, _ := h.staffDo(http.MethodGet, "/v1/breaches", other, nil)
		if code != http.StatusOK || strings.Contains(string(b), bid) {
			t.Fatalf("0599 lists: %d %s", code, b)
		}
		for _, path := range []string{"/v1/breaches/" + bid, "/v1/breaches/" + bid + "/subjects", "/v1/breaches/" + bid + "/ap-export"} {
			if code, _, _ := h.staffDo(http.MethodGet, path, other, nil); code != http.StatusNotFound {
				t.Fatalf("0599 reads %s: %d", path, code)
			}
		}
	})

	t.Run("the data subjects are the ledger's", func(t *testing.T) {
		code, b, _ := h.staffDo(http.MethodGet, "/v1/breaches/"+bid+"/subjects", po, nil)
		if code != http.StatusOK {
			t.Fatalf("subjects: %d %s", code, b)
		}
		subjects := decodeAs[[]breach.Subject](t, b)
		rec, err := h.gw.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var deliveredSeq int64
		for _, e := range h.ledgerEvents("state:delivered") {
			if e.DisclosureID == id {
				deliveredSeq = e.Seq
			}
		}
		if len(subjects) != 1 || subjects[0].ClientKey != rec.ClientKey || len(subjects[0].Disclosures) != 1 ||
			subjects[0].Disclosures[0].DisclosureID != id || subjects[0].Disclosures[0].LedgerSeq != deliveredSeq ||
			subjects[0].Disclosures[0].Recipient != rec.Recipient {
			t.Fatalf("subjects %+v, want client %s with %s at ledger seq %d", subjects, rec.ClientKey, id, deliveredSeq)
		}
	})

	t.Run("notified on time", func(t *testing.T) {
		code, b, _ := h.staffDo(http.MethodPost, "/v1/breaches/"+bid+"/notifications", po, map[string]any{
			"version": 1, "ap_notified_at": time.Now().UTC().Format(time.RFC3339), "ap_reference": "AP-2026-000123",
			"subjects_informed_at": time.Now().UTC().Format(time.RFC3339),
		})
		got := decodeAs[map[string]any](t, b)
		if code != http.StatusOK || got["ap_notification"] != "required" || got["deadline"] != "" || got["version"] != float64(2) ||
			!strings.Contains(got["ap_notified_by"].(string), "s-1") {
			t.Fatalf("notify: %d %s", code, b)
		}
		code, b, _ = h.staffDo(http.MethodGet, "/v1/breaches/"+bid+"/ap-export", po, nil)
		form := decodeAs[breach.APForm](t, b)
		if code != http.StatusOK || form.Melding.Meldplichtig != "ja" || form.Melding.ReferentieAP != "AP-2026-000123" ||
			form.Organisatie.Naam != "Amsterdam" || form.Tijdlijn.GemeldAP == "" {
			t.Fatalf("AP export: %d %s", code, b)
		}
	})

	t.Run("a signing key declared compromised is proposed, then confirmed", func(t *testing.T) {
		op := h.staffToken(identity.RoleOperator, "0363")
		since := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		code, b, _ := h.staffDo(http.MethodPost, "/v1/signals/key-compromised", op, map[string]any{"since": since})
		if code != http.StatusCreated {
			t.Fatalf("declare: %d %s", code, b)
		}
		decl := decodeAs[map[string]string](t, b)
		if code, _, _ := h.staffDo(http.MethodPost, "/v1/signals/key-compromised", op, map[string]any{"since": since}); code != http.StatusOK {
			t.Fatalf("declared again: %d, want 200 (the same proposal)", code)
		}
		// Every privacy officer sees the gateway's proposal.
		for _, tok := range []string{po, other} {
			code, b, _ := h.staffDo(http.MethodGet, "/v1/breaches/"+decl["incident"], tok, nil)
			got := decodeAs[map[string]any](t, b)
			if code != http.StatusOK || got["state"] != "proposed" || got["source"] != "key_compromised" || got["municipality"] != "" {
				t.Fatalf("proposal: %d %s", code, b)
			}
		}
		code, b, _ = h.staffDo(http.MethodPost, "/v1/breaches/"+decl["incident"]+"/confirm", po, map[string]any{"version": 1})
		if code != http.StatusOK || !strings.Contains(string(b), `"state":"confirmed"`) {
			t.Fatalf("confirm: %d %s", code, b)
		}
		code, b, _ = h.staffDo(http.MethodGet, "/v1/breaches/"+decl["incident"]+"/subjects", po, nil)
		if code != http.StatusOK || !strings.Contains(string(b), id) {
			t.Fatalf("subjects of the compromised key: %d %s, want the disclosure %s", code, b, id)
		}
	})

	// Every write and read is in the ledger, by the officer, without text.
	var events []string
	for _, ev := range []string{breach.EventRecorded, breach.EventNotified, breach.EventRead, breach.EventSubjectsRead,
		breach.EventExported, breach.EventProposed, breach.EventConfirmed} {
		es := h.ledgerEvents(ev)
		if len(es) == 0 {
			t.Errorf("no %s in the ledger", ev)
		}
		for _, e := range es {
			events = append(events, e.Event)
			if strings.Contains(strings.Join(mapValues(e.Detail), " "), "aanbieder") {
				t.Fatalf("the ledger holds the officer's text: %+v", e)
			}
		}
	}
	t.Logf("breach ledger events: %v", events)
	if strings.Contains(h.logs.String(), "Overdrachtsbericht") {
		t.Fatal("the officer's text is in the log")
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
