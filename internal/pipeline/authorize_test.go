package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/sluis-gateway/sluis/internal/bus"
	"github.com/sluis-gateway/sluis/internal/identity"
	"github.com/sluis-gateway/sluis/internal/pipeline"
)

// TestHandleRefusesWhatThePrincipalMayNotSend: a request without an
// authenticated system, or with a sender or basis its system may not use,
// creates nothing and sends nothing to a provider; only a refusal of an
// authenticated system is told, on its own routing key.
func TestHandleRefusesWhatThePrincipalMayNotSend(t *testing.T) {
	consentOnly := identity.System{ID: "regsys-demo", Municipalities: []string{"0363"}, LegalBases: []string{identity.BasisConsent}}
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		mod       func(map[string]any)
		wantEvent string // routing key of the one status event; "" none
		wantEntry string
		wantField string
	}{
		{name: "no authenticated system", ctx: context.Background(),
			wantEntry: pipeline.EventIntakeUnauthenticated},
		{name: "another municipality", ctx: identity.WithSystem(context.Background(), demo),
			mod: func(m map[string]any) {
				m["sender"] = map[string]any{"municipality": "0599", "system": "regsys-demo", "employee": "e-1"}
			},
			wantEvent: "0363.regsys-demo.refused", wantEntry: pipeline.EventIntakeRefused, wantField: identity.FieldSenderMunicipality},
		{name: "another system's name", ctx: identity.WithSystem(context.Background(), demo),
			mod: func(m map[string]any) {
				m["sender"] = map[string]any{"municipality": "0599", "system": "regsys-rotterdam", "employee": "e-1"}
			},
			wantEvent: "0363.regsys-demo.refused", wantEntry: pipeline.EventIntakeRefused, wantField: identity.FieldSenderSystem},
		{name: "a withheld legal basis", ctx: identity.WithSystem(context.Background(), consentOnly),
			wantEvent: "0363.regsys-demo.refused", wantEntry: pipeline.EventIntakeRefused, wantField: identity.FieldLegalBasisKind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := newParts()
			msg := message.NewMessage("intake-1", exampleBody(t, tc.mod))
			msg.SetContext(tc.ctx)
			if err := handle(ps.pipeline(t), msg); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if n := len(ps.pub.on(bus.TopicOutbound)); n != 0 {
				t.Fatalf("%d messages to a provider", n)
			}
			if rec := ps.store.get(exampleID); rec.DisclosureID != "" {
				t.Fatalf("a record was created: %+v", rec)
			}
			events := ps.pub.on(bus.TopicStatus)
			switch {
			case tc.wantEvent == "" && len(events) != 0:
				t.Fatalf("%d status events, want none", len(events))
			case tc.wantEvent != "":
				if len(events) != 1 || bus.RoutingKey.Get(events[0]) != tc.wantEvent {
					t.Fatalf("status events %v, want one on %s", events, tc.wantEvent)
				}
				if !strings.Contains(string(events[0].Payload), tc.wantField) {
					t.Fatalf("refusal %s does not name %s", events[0].Payload, tc.wantField)
				}
			}
			es := ps.store.entries()
			if len(es) != 1 || es[0].Event != tc.wantEntry || es[0].Detail["field"] != tc.wantField {
				t.Fatalf("ledger %+v, want one %s naming %q", es, tc.wantEntry, tc.wantField)
			}
		})
	}
}
