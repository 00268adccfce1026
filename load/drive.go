package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// crew is a set of workers driven together: as fast as each can go (rate
// 0, closed loop), or sharing a schedule of rate operations per second
// (open loop).
type crew struct {
	name    string
	workers []worker
	rate    float64
	dropped atomic.Int64 // scheduled operations not sent before the end
}

// drive runs the crews together for d and waits for the requests in flight.
// It returns how long that took: the rate's denominator.
func drive(ctx context.Context, crews []*crew, d time.Duration) time.Duration {
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, cr := range crews {
		if cr.rate <= 0 {
			for _, w := range cr.workers {
				wg.Go(func() {
					for ctx.Err() == nil && time.Now().Before(deadline) {
						w.step(ctx, time.Now())
					}
				})
			}
			continue
		}
		tickets := make(chan time.Time, 1<<12)
		wg.Go(func() {
			defer close(tickets)
			schedule(ctx, tickets, start, deadline, cr.rate)
		})
		for _, w := range cr.workers {
			wg.Go(func() {
				for t := range tickets {
					if ctx.Err() != nil || !time.Now().Before(deadline) {
						cr.dropped.Add(1)
						continue
					}
					w.step(ctx, t)
				}
			})
		}
	}
	wg.Wait()
	return time.Since(start)
}

// schedule sends the intended start time of each operation, rate a second
// from start until deadline. The times come from the schedule, never from
// when a worker was free, so a server that falls behind shows it in the
// latency (no coordinated omission).
func schedule(ctx context.Context, tickets chan<- time.Time, start, deadline time.Time, rate float64) {
	interval := time.Duration(float64(time.Second) / rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := int64(0); ; i++ {
		t := start.Add(time.Duration(i) * interval)
		if !t.Before(deadline) {
			return
		}
		if !waitUntil(ctx, timer, t) {
			return
		}
		select {
		case tickets <- t:
		case <-ctx.Done():
			return
		}
	}
}

// waitUntil waits on timer until t, and says false if ctx ended first.
// Since Go 1.23 a Reset timer delivers no stale tick, so timer may be
// reused however it last ended.
func waitUntil(ctx context.Context, timer *time.Timer, t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer.Reset(wait)
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
