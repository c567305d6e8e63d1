package app

import (
	"context"
	"log/slog"
)

// Runner is a background job of the gateway: Run works until ctx ends and
// then returns nil. *overdue.Scanner is one.
type Runner interface {
	Run(ctx context.Context) error
}

// job is a named Runner.
type job struct {
	name string
	run  Runner
}

// runners holds the gateway's background jobs: started in the order given,
// stopped in the reverse order, each waited for before the next stops.
type runners struct {
	log     *slog.Logger
	running []running
}

type running struct {
	name string
	stop context.CancelFunc
	done chan error
}

// start starts each job in its own goroutine.
func (r *runners) start(jobs ...job) {
	for _, j := range jobs {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- j.run.Run(ctx) }()
		r.running = append(r.running, running{name: j.name, stop: stop, done: done})
	}
}

// stop stops every running job, the last started first; it may be called
// again (it then does nothing).
func (r *runners) stop() {
	for i := len(r.running) - 1; i >= 0; i-- {
		j := r.running[i]
		j.stop()
		if err := <-j.done; err != nil {
			r.log.Error("background job stopped", "job", j.name, "err", err)
		}
	}
	r.running = nil
}
