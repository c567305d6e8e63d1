package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrSkipped is the outcome of a status event StatusSkipper did not publish
// because the broker returned an event with the same routing key less than
// the skip window ago (no status queue was bound for it then). It wraps
// ErrUnroutable: for the caller it is the same as a return (nothing to
// retry, the state is in the store and the HTTP API).
var ErrSkipped = fmt.Errorf("%w: not published, its routing key was unroutable within the skip window", ErrUnroutable)

// SkipReasonUnbound is the reason label of the events StatusSkipper skips.
const SkipReasonUnbound = "unbound"

// MaxSkippedKeys bounds the routing keys a StatusSkipper remembers; past
// it, expired keys are forgotten first, and a key it cannot remember is
// published every time (as without skipping).
const MaxSkippedKeys = 10000

// StatusSkipper is a Publisher in front of another that does not publish
// status events nobody receives. When the broker returns a status event
// (ErrUnroutable: no queue bound for its routing key
// "<municipality>.<system>.<state>"), the key is remembered for the skip
// window, and further events with that key are not published within it:
// their outcome is ErrSkipped, counted in
// sluis_status_events_skipped_total{reason="unbound"}. Once the window has
// passed, one event with the key is published again (a probe; the others
// are skipped while it is in flight): returned, the window starts again;
// confirmed, the key is forgotten and every event is published again.
// Every other topic, and every status event whose key is not remembered,
// goes to the next Publisher unchanged, in one call per PublishContext.
// Safe for concurrent use.
type StatusSkipper struct {
	next    Publisher
	window  time.Duration
	now     func() time.Time
	skipped prometheus.Counter

	mu   sync.Mutex
	keys map[string]*unbound // routing keys returned within the window
}

// unbound is a routing key the broker returned.
type unbound struct {
	until   time.Time // skip the key's events before this
	probing bool      // an event with the key is in flight after the window
}

// NewStatusSkipper wraps next. window is how long a returned routing key
// is skipped; 0 skips nothing (every event is published). now is the clock
// (nil: time.Now). The skip counter is registered on reg.
func NewStatusSkipper(next Publisher, window time.Duration, now func() time.Time, reg prometheus.Registerer) (*StatusSkipper, error) {
	switch {
	case next == nil:
		return nil, errors.New("status skipper: nil publisher")
	case window < 0:
		return nil, errors.New("status skipper: negative window")
	case reg == nil:
		return nil, errors.New("status skipper: nil registerer")
	}
	if now == nil {
		now = time.Now
	}
	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluis_status_events_skipped_total",
		Help: "Status events not published because the broker returned one with the same routing key within SLUIS_STATUS_UNROUTABLE_SKIP (no status queue bound), by reason (unbound).",
	}, []string{"reason"})
	if err := reg.Register(skipped); err != nil {
		return nil, fmt.Errorf("status skipper metric: %w", err)
	}
	return &StatusSkipper{
		next: next, window: window, now: now,
		skipped: skipped.WithLabelValues(SkipReasonUnbound),
		keys:    map[string]*unbound{},
	}, nil
}

// PublishContext publishes msgs to topic through the next Publisher,
// except the status events it skips (outcome ErrSkipped); outcomes are in
// the order of msgs.
func (s *StatusSkipper) PublishContext(ctx context.Context, topic string, msgs ...*message.Message) []error {
	if topic != TopicStatus || s.window == 0 || len(msgs) == 0 {
		return s.next.PublishContext(ctx, topic, msgs...)
	}
	errs := make([]error, len(msgs))
	send := make([]*message.Message, 0, len(msgs))
	index := make([]int, 0, len(msgs))   // send[j] is msgs[index[j]]
	probes := make([]bool, 0, len(msgs)) // send[j] probes its key
	now := s.now()
	s.mu.Lock()
	for i, m := range msgs {
		probe := false
		if m != nil {
			if u := s.keys[RoutingKey.Get(m)]; u != nil {
				if u.probing || now.Before(u.until) {
					errs[i] = ErrSkipped
					s.skipped.Inc()
					continue
				}
				u.probing, probe = true, true
			}
		}
		send = append(send, m)
		index = append(index, i)
		probes = append(probes, probe)
	}
	s.mu.Unlock()
	if len(send) == 0 {
		return errs
	}
	out := s.next.PublishContext(ctx, topic, send...)
	after := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for j, err := range out {
		errs[index[j]] = err
		if send[j] == nil {
			continue
		}
		key := RoutingKey.Get(send[j])
		switch {
		case errors.Is(err, ErrUnroutable):
			s.remember(key, after.Add(s.window))
		case err == nil:
			delete(s.keys, key)
		case probes[j]:
			// Not known either way (a broker failure): the next event
			// with the key probes again.
			if u := s.keys[key]; u != nil {
				u.probing = false
			}
		}
	}
	return errs
}

// remember skips key until until; s.mu must be held.
func (s *StatusSkipper) remember(key string, until time.Time) {
	if u := s.keys[key]; u != nil {
		u.until, u.probing = until, false
		return
	}
	if len(s.keys) >= MaxSkippedKeys {
		now := s.now()
		for k, u := range s.keys {
			if !u.probing && !now.Before(u.until) {
				delete(s.keys, k)
			}
		}
		if len(s.keys) >= MaxSkippedKeys {
			return
		}
	}
	s.keys[key] = &unbound{until: until}
}
