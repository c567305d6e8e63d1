package bench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/sluis-gateway/sluis/adapters/amqp"
	"github.com/sluis-gateway/sluis/internal/loadtest"
)

// OpsConfig is the broker operations run.
type OpsConfig struct {
	// Gateway is the gateway to start; its AMQPURL is the vhost, which
	// the run points at a counting proxy.
	Gateway            GatewayConfig
	KeyFile, CertFile  string
	Warmup, Items      []loadtest.Item
	Timeout            time.Duration
	SettleWait, Settle time.Duration // see RunOps; defaults 10 s and 500 ms
}

// OpsOutcome is what the broker operations run counted, from the end of
// its warm-up to the moment the counts stood still after the last
// disclosure settled.
type OpsOutcome struct {
	Disclosures int // settled in the counted part
	// Gateway counts the method frames on the gateway's connections, Load
	// those of the load process (its intake publisher, status consumer and
	// the providers' drainer).
	Gateway, Load loadtest.Ops
	Outcome       Outcome
}

// Per is count per disclosure.
func (o OpsOutcome) Per(count int64) float64 {
	if o.Disclosures == 0 {
		return 0
	}
	return float64(count) / float64(o.Disclosures)
}

// BrokerOps is every operation of both sides but the connection set-up:
// what the broker did for the disclosures.
func (o OpsOutcome) BrokerOps() int64 {
	all := o.Gateway.Add(o.Load)
	var n int64
	for _, k := range opKinds {
		n += all[k]
	}
	return n
}

// opKinds are the kinds a report lists, in order (OpAckMultiple is a part
// of OpAck).
var opKinds = []string{loadtest.OpPublish, loadtest.OpConfirm, loadtest.OpConfirmNack, loadtest.OpReturn,
	loadtest.OpDeliver, loadtest.OpAck, loadtest.OpNack, loadtest.OpGet, loadtest.OpOther}

// RunOps starts a gateway whose broker connections go through one
// loadtest.OpsProxy and a load whose connections go through another, sends
// the warm-up, then the items as fast as the broker confirms, and returns
// the operations counted for the items. The counts are read once they
// stood still for Settle after the last disclosure settled (the gateway
// acknowledges an intake message after its last status event is
// confirmed), at most SettleWait.
func RunOps(ctx context.Context, c OpsConfig) (OpsOutcome, error) {
	if len(c.Items) == 0 {
		return OpsOutcome{}, fmt.Errorf("%w: operations run needs items", loadtest.ErrConfig)
	}
	if c.SettleWait <= 0 {
		c.SettleWait = 10 * time.Second
	}
	if c.Settle <= 0 {
		c.Settle = 500 * time.Millisecond
	}
	u, err := url.Parse(c.Gateway.AMQPURL)
	if err != nil || u.Host == "" {
		return OpsOutcome{}, fmt.Errorf("%w: operations run: no broker host", loadtest.ErrConfig)
	}
	gp, err := loadtest.NewOpsProxy(u.Host)
	if err != nil {
		return OpsOutcome{}, err
	}
	defer gp.Close()
	lp, err := loadtest.NewOpsProxy(u.Host)
	if err != nil {
		return OpsOutcome{}, err
	}
	defer lp.Close()
	if c.Gateway.AMQPURL, err = gp.URL(c.Gateway.AMQPURL); err != nil {
		return OpsOutcome{}, err
	}
	loadURL, err := lp.URL(u.String())
	if err != nil {
		return OpsOutcome{}, err
	}
	if err := os.MkdirAll(c.Gateway.Dir, 0o700); err != nil {
		return OpsOutcome{}, err
	}
	gw, err := StartGateway(ctx, c.Gateway, c.KeyFile, c.CertFile)
	if err != nil {
		return OpsOutcome{}, err
	}
	defer gw.Stop()
	drain, err := loadtest.NewDrainer(loadURL, amqp.ProviderQueues(c.Gateway.Providers))
	if err != nil {
		return OpsOutcome{}, err
	}
	defer drain.Close()
	if len(c.Warmup) > 0 {
		if _, err := RunLoad(ctx, LoadConfig{AMQPURL: loadURL, Items: c.Warmup, Timeout: c.Timeout}); err != nil {
			return OpsOutcome{}, fmt.Errorf("warm-up: %w", err)
		}
		still(ctx, gp, c.Settle, c.SettleWait)
	}
	g0, l0 := gp.Ops(), lp.Ops()
	o, err := RunLoad(ctx, LoadConfig{AMQPURL: loadURL, Items: c.Items, Timeout: c.Timeout})
	if err != nil {
		return OpsOutcome{}, err
	}
	g1 := still(ctx, gp, c.Settle, c.SettleWait)
	l1 := lp.Ops()
	return OpsOutcome{Disclosures: o.settledTotal(), Gateway: g1.Sub(g0), Load: l1.Sub(l0), Outcome: o}, nil
}

// still returns p's counts once they did not change for settle, or after
// wait.
func still(ctx context.Context, p *loadtest.OpsProxy, settle, wait time.Duration) loadtest.Ops {
	deadline := time.Now().Add(wait)
	last := p.Ops()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(settle)
		now := p.Ops()
		if equalOps(now, last) {
			return now
		}
		last = now
	}
	return last
}

func equalOps(a, b loadtest.Ops) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
