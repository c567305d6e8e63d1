package app_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluis-gateway/sluis/adapters/console"
	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/testenv/browser"
)

// accessible checks the page a browser shows: Dutch, one h1, a main
// landmark, every visible form field with a label.
func accessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	problems, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](`(() => {
		const p = [];
		if (document.documentElement.lang !== 'nl') p.push('lang is not nl');
		if (document.querySelectorAll('h1').length !== 1) p.push('not exactly one h1');
		if (!document.querySelector('main')) p.push('no main');
		for (const el of document.querySelectorAll('input:not([type=hidden]), textarea, select')) {
			const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest('label') || el.getAttribute('aria-label');
			if (!labelled) p.push('field without label: ' + (el.name || el.id));
		}
		for (const th of document.querySelectorAll('table th')) { if (!th.getAttribute('scope')) p.push('th without scope'); }
		return p;
	})()`))
	if err != nil {
		t.Fatalf("%s: accessibility check: %v", page, err)
	}
	if len(problems) > 0 {
		t.Fatalf("%s: %v", page, problems)
	}
}

// The console in a real browser (headless Chromium): log in with the
// development login, open the breach register, confirm a proposal, record
// a breach through the form; the coordinator's review list; refusals of a
// form from elsewhere; every page accessible; screenshots kept.
func TestConsoleInChromium(t *testing.T) {
	h := start(t)
	if h.gw.ConsoleAddr == "" {
		t.Fatal("the test gateway has no console (SLUIS_CONSOLE_ADDR)")
	}
	base := "https://" + h.gw.ConsoleAddr
	op := h.staffTokenAs("op-1", identity.RoleOperator, "0363")
	code, b, _ := h.staffDo(http.MethodPost, "/v1/signals/key-compromised", op, map[string]any{"since": time.Now().Add(-time.Hour)})
	if code != http.StatusCreated {
		t.Fatalf("declare a key compromised: %d %s", code, b)
	}
	proposal := decodeAs[map[string]string](t, b)["incident"]

	ctx := browser.New(t)
	login := func(token string) {
		t.Helper()
		browser.Do(t, ctx, "log in",
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SetValue(chromedp.CSS("#token"), token),
			chromedp.Click(chromedp.CSS("form button[type=submit]")),
			// Only a logged-in page has the logout button: the next page,
			// not the login form still on screen.
			chromedp.WaitVisible(chromedp.CSS(".logout button")),
		)
	}

	browser.Do(t, ctx, "open the console", chromedp.Navigate(base+"/datalekken"), chromedp.WaitVisible(chromedp.CSS("#token")))
	accessible(t, ctx, "login")
	browser.Screenshot(t, ctx, "1-login")

	login(h.staffTokenAs("po-1", identity.RolePrivacyOfficer, "0363"))
	if got := browser.Text(t, ctx, "main h1"); got != "Datalekken" {
		t.Fatalf("after login: h1 %q", got)
	}
	if list := browser.Text(t, ctx, "main table"); !strings.Contains(list, proposal) || !strings.Contains(list, "voorgesteld") {
		t.Fatalf("the register does not list the proposal %s:\n%s", proposal, list)
	}
	accessible(t, ctx, "breach list")
	browser.Screenshot(t, ctx, "2-register")

	browser.Do(t, ctx, "open and confirm the proposal",
		chromedp.Click(chromedp.CSS(`a[href="/datalekken/`+proposal+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#beslissen")),
	)
	accessible(t, ctx, "proposal")
	browser.Screenshot(t, ctx, "3-proposal")
	browser.Do(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`form[action$="/bevestigen"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if flash := browser.Text(t, ctx, ".flash"); !strings.Contains(flash, "bevestigd") {
		t.Fatalf("after confirming: %q", flash)
	}
	inc, err := h.gw.Store.BreachGet(context.Background(), proposal)
	if err != nil || inc.State != breach.Confirmed || !strings.Contains(inc.DecidedBy, "po-1") {
		t.Fatalf("after confirming in the console: %+v, %v", inc, err)
	}
	browser.Screenshot(t, ctx, "4-confirmed")

	browser.Do(t, ctx, "record a breach",
		chromedp.Navigate(base+"/datalekken/nieuw"),
		chromedp.WaitVisible(chromedp.CSS("#summary")),
	)
	accessible(t, ctx, "record form")
	browser.Do(t, ctx, "fill in the form",
		chromedp.SetValue(chromedp.CSS("#summary"), "Map met overdrachtsformulieren in de trein laten liggen."),
		chromedp.Click(chromedp.CSS(`input[name=kinds][value=confidentiality]`)),
		chromedp.Click(chromedp.CSS(`input[name=data_categories][value=identification]`)),
		chromedp.SetValue(chromedp.CSS("#subjects_approx"), "4"),
		chromedp.Click(chromedp.CSS(`form[action="/datalekken"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if got := browser.Text(t, ctx, "dl.facts"); !strings.Contains(got, "Map met overdrachtsformulieren") || !strings.Contains(got, "vertrouwelijkheid") {
		t.Fatalf("recorded breach page:\n%s", got)
	}
	browser.Screenshot(t, ctx, "5-recorded")

	t.Run("a form from elsewhere is refused", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		u, _ := url.Parse(base)
		jar.SetCookies(u, []*http.Cookie{{Name: console.CookieName, Value: h.staffTokenAs("po-1", identity.RolePrivacyOfficer, "0363")}})
		c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // the development CA
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, tc := range []struct {
			name, origin, csrf string
		}{
			{"another origin", "https://evil.example", ""},
			{"no CSRF token", base, ""},
			{"a wrong CSRF token", base, strings.Repeat("0", 64)},
		} {
			form := url.Values{"summary": {"x"}, "kinds": {"integrity"}, "csrf": {tc.csrf}}
			req, _ := http.NewRequest(http.MethodPost, base+"/datalekken", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", tc.origin)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: %d, want 403", tc.name, resp.StatusCode)
			}
		}
		all, _ := h.gw.Store.BreachList(context.Background())
		if len(all) != 2 {
			t.Fatalf("%d incidents after refused forms, want 2", len(all))
		}
	})

	// The coordinator's review list; an employee has no pages.
	browser.Do(t, ctx, "log out", chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.CSS("#token")))
	login(h.staffTokenAs("co-1", identity.RoleCoordinator, "0363"))
	if got := browser.Text(t, ctx, "main h1"); !strings.HasPrefix(got, "Beoordelingen") {
		t.Fatalf("coordinator's start page: %q", got)
	}
	accessible(t, ctx, "reviews")
	browser.Screenshot(t, ctx, "6-reviews")
	browser.Do(t, ctx, "the register is not the coordinator's", chromedp.Navigate(base+"/datalekken"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if got := browser.Text(t, ctx, "main [role=alert]"); !strings.Contains(got, "privacyfunctionaris") {
		t.Fatalf("coordinator on the register: %q", got)
	}

	// The ledger has the logins, the reads and the confirmation.
	for _, ev := range []string{"console:login", console.EventReviewsRead, breach.EventRead, breach.EventConfirmed, breach.EventRecorded} {
		if len(h.ledgerEvents(ev)) == 0 {
			t.Errorf("no %s in the ledger", ev)
		}
	}
	if strings.Contains(h.logs.String(), "Map met overdrachtsformulieren") {
		t.Fatal("the officer's text is in the log")
	}
}

// The coordinator's work list and a client's access report in the
// browser: an override's review item judged in the console (a ledger
// entry), and an employee's access request answered with the printable
// document of internal/rights; screenshots kept.
func TestConsoleCaseworkAndClientReport(t *testing.T) {
	h := start(t)
	base := "https://" + h.gw.ConsoleAddr
	m, _ := readExample(t, "iwmo-301.json")
	id := "c7777777-2222-4333-8444-555555555555"
	override(m, id)
	body, _ := json.Marshal(m)
	h.send(body)
	h.waitState(id, "delivered")
	bsn := m["client"].(map[string]any)["bsn"].(string)

	coordinator := h.staffTokenAs("co-1", identity.RoleCoordinator, "0363")
	item := "coordinator_review:" + id
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, b := h.staffGet("/v1/review-items?kind=coordinator_review", coordinator)
		if strings.Contains(string(b), item) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no review item %s: %s", item, b)
		}
		time.Sleep(300 * time.Millisecond)
	}

	ctx := browser.New(t)
	login := func(token string) {
		t.Helper()
		browser.Do(t, ctx, "log in",
			chromedp.Navigate(base+"/inloggen"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SetValue(chromedp.CSS("#token"), token),
			chromedp.Click(chromedp.CSS("form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS(".logout button")),
		)
	}
	login(coordinator)
	browser.Do(t, ctx, "open the work list", chromedp.Navigate(base+"/werkvoorraad"), chromedp.WaitVisible(chromedp.CSS("#k-coordinator_review")))
	accessible(t, ctx, "work list")
	if got := browser.Text(t, ctx, "main"); !strings.Contains(got, id) {
		t.Fatalf("the work list does not show %s:\n%s", id, got)
	}
	browser.Screenshot(t, ctx, "1-worklist")
	form := `form[action="/werkvoorraad/` + item + `/oordeel"]`
	browser.Do(t, ctx, "judge the override",
		chromedp.Click(chromedp.CSS(form+` input[value=justified]`)),
		chromedp.SetValue(chromedp.CSS(form+` input[name=reference]`), "ZK-77"),
		chromedp.Click(chromedp.CSS(form+` button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if flash := browser.Text(t, ctx, ".flash"); !strings.Contains(flash, "oordeel") {
		t.Fatalf("after judging: %q", flash)
	}
	browser.Screenshot(t, ctx, "2-judged")
	var closed bool
	for _, e := range h.ledgerEvents("coordinator_review:closed") {
		closed = closed || (e.DisclosureID == id && strings.Contains(e.Actor, "co-1"))
	}
	if !closed {
		t.Fatalf("no coordinator_review:closed for %s by co-1 in the ledger", id)
	}

	browser.Do(t, ctx, "log out", chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.CSS("#token")))
	login(h.staffTokenAs("e-1", identity.RoleEmployee, "0363"))
	if got := browser.Text(t, ctx, "main h1"); got != "Inzage voor een cliënt" {
		t.Fatalf("employee's start page: %q", got)
	}
	accessible(t, ctx, "access request")
	browser.Do(t, ctx, "ask with a number that fails the 11-proef",
		chromedp.SetValue(chromedp.CSS("#bsn"), "123456789"),
		chromedp.SetValue(chromedp.CSS("#request_reference"), "ZK-78"),
		chromedp.Click(chromedp.CSS(`form[action="/client/overzicht"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".problem")),
	)
	// The refusal is Dutch, as the page, and names the rule, not the value.
	if got, want := browser.Text(t, ctx, ".problem"), "Geen overzicht: dit is geen BSN (9 cijfers die de 11-proef doorstaan)"; got != want {
		t.Fatalf("refused access request: %q, want %q", got, want)
	}
	browser.Do(t, ctx, "ask the access report",
		chromedp.SetValue(chromedp.CSS("#bsn"), bsn),
		chromedp.SetValue(chromedp.CSS("#request_reference"), "ZK-78"),
		chromedp.Click(chromedp.CSS(`form[action="/client/overzicht"] button`)),
		// The report's own element: not the form page still on screen.
		chromedp.WaitVisible(chromedp.CSS("section.disclosure")),
	)
	report := browser.Text(t, ctx, "body")
	if !strings.Contains(report, "Overzicht van gedeelde gegevens") || !strings.Contains(report, "AGB-code 42420001") {
		t.Fatalf("the report does not list the share to 42420001:\n%s", report)
	}
	browser.Screenshot(t, ctx, "3-access-report")
	if len(h.ledgerEvents("rights:access")) == 0 {
		t.Fatal("the access request is not in the ledger")
	}
	if strings.Contains(h.logs.String(), bsn) {
		t.Fatal("the BSN is in the log")
	}
}
