package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	httpapi "github.com/sluis-gateway/sluis/adapters/http"
	"github.com/sluis-gateway/sluis/internal/disclosure"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/testenv"
)

// TestPostToAFullIntakeQueueIs503: with the intake policy's max-length
// lowered to 1 (overflow reject-publish, as in definitions.json) and nobody
// consuming, the broker nacks the publish of a request beyond it and the
// API answers 503 with Retry-After and the problem ErrIntakeFull; a
// request that fits is 202.
func TestPostToAFullIntakeQueueIs503(t *testing.T) {
	vh := testenv.VHost(t)
	_, ch := testenv.Channel(t, vh)
	if err := (amqp.Topology{}).Declare(ch); err != nil {
		t.Fatal(err)
	}
	vhost := vh[strings.LastIndex(vh, "/")+1:]
	out, err := exec.Command("rabbitmqctl", "-q", "set_policy", "-p", vhost, "--apply-to", "queues", "--priority", "10",
		"sluis-intake", `^sluis\.(disclosures|consents)$`,
		`{"dead-letter-exchange":"sluis.dead","delivery-limit":20,"max-length":1,"overflow":"reject-publish"}`).CombinedOutput()
	if err != nil {
		t.Fatalf("set_policy: %v\n%s", err, out)
	}
	pub, err := amqp.NewPublisher(amqp.PublisherConfig{URL: vh, Route: amqp.Route, UserID: amqp.UserOf(vh)}, watermill.NopLogger{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })

	dec, err := disclosure.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := identity.Development()
	if err != nil {
		t.Fatal(err)
	}
	sys, err := reg.Get("regsys-demo")
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.New(dec, pub, nowhere{}, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := s.SystemRoutes()
	var codes []int
	for i := range 4 {
		m := example301(t)
		m["id"] = fmt.Sprintf("b0000000-1111-4222-8333-%012d", i)
		body, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		rr := httptest.NewRecorder()
		r := jsonPost(body)
		routes.ServeHTTP(rr, r.WithContext(identity.WithSystem(r.Context(), sys)))
		codes = append(codes, rr.Code)
		if rr.Code != http.StatusServiceUnavailable {
			continue
		}
		if rr.Header().Get("Retry-After") == "" {
			t.Errorf("503 without Retry-After")
		}
		var p struct{ Error string }
		if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil || p.Error != httpapi.ErrIntakeFull.Error() {
			t.Errorf("503 problem %q (%v), want %q", rr.Body.String(), err, httpapi.ErrIntakeFull)
		}
	}
	// A quorum queue takes one message beyond max-length, then refuses.
	if codes[0] != http.StatusAccepted || codes[3] != http.StatusServiceUnavailable {
		t.Fatalf("answers %v, want 202 first and 503 once the queue is full", codes)
	}
}
