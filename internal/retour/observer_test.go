package retour_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluis-gateway/sluis/internal/receipts"
	"github.com/sluis-gateway/sluis/internal/retour"
)

// heard is an Observer that keeps what it heard (a fake of our own port),
// failing when fail is set.
type heard struct {
	got  []retour.ParkedRetour
	fail error
}

func (h *heard) RetourParked(_ context.Context, p retour.ParkedRetour) error {
	h.got = append(h.got, p)
	return h.fail
}

// TestObserverHearsParkedRetours: the observer hears each parked retour
// with its reason and, for a verified one, the disclosure and the signer;
// its failure nacks the retour (nothing is parked), so it is heard again.
func TestObserverHearsParkedRetours(t *testing.T) {
	hs := newHarness(t)
	obs := &heard{}
	m, err := retour.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if hs.h, err = retour.New(retour.Config{
		Store: hs.store, Certificates: hs.reg, Validator: hs.val, Publisher: unroutable{hs.pub}, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Observer: obs,
	}); err != nil {
		t.Fatal(err)
	}
	a := hs.delivered("obs-a", agbA)
	other := a
	other.Recipient = agbB
	wrong := hs.seal(hs.signers[agbB], agbB, "WMO302", a.MessageID, bericht(t, other, retour.Verdict{}))
	if err := hs.handle(wrong); err != nil {
		t.Fatal(err)
	}
	if _, ok := hs.parked(); !ok {
		t.Fatal("not parked")
	}
	if len(obs.got) != 1 || obs.got[0].Reason != retour.ReasonProviderMismatch || obs.got[0].DisclosureID != a.DisclosureID ||
		obs.got[0].Signer != agbB || obs.got[0].MessageID == "" {
		t.Fatalf("heard %+v", obs.got)
	}
	if err := hs.handle([]byte("not xml")); err != nil {
		t.Fatal(err)
	}
	hs.parked()
	if len(obs.got) != 2 || obs.got[1].Reason != retour.ReasonMalformed || obs.got[1].DisclosureID != "" {
		t.Fatalf("heard %+v", obs.got)
	}
	obs.fail = errors.New("store down")
	if err := hs.handle(wrong); err == nil {
		t.Fatal("an observer's failure acked the retour")
	}
	if _, ok := hs.parked(); ok {
		t.Fatal("parked although the observer failed")
	}
	if got := hs.get(a.DisclosureID); got.State != receipts.Delivered {
		t.Fatalf("state %s", got.State)
	}
}
