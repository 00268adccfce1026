// Package groupcommit gathers operations submitted from many goroutines into
// batches run one at a time by a single goroutine, so that a store can make a
// whole batch durable with one commit: group commit.
//
// Every operation is answered exactly once. An operation whose context ends
// before the batch runner takes it is answered with the context's error and
// never run; once taken, its caller waits for the real outcome, so that it
// learns whether the operation was applied.
package groupcommit

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed answers operations submitted to, or still queued in, a closed
// Queue.
var ErrClosed = errors.New("groupcommit: closed")

// Queue runs batches of operations of type Op, each answered with a Res.
type Queue[Op, Res any] struct {
	run     func(ops []Op) []Res
	observe func(ops int, took time.Duration)
	max     int
	in      chan *pending[Op, Res]
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once

	batches, ops atomic.Int64 // run so far, for benchmarks
}

type pending[Op, Res any] struct {
	op   Op
	done chan Res // capacity 1: the runner never waits for the caller
}

// Start starts the goroutine that runs batches of up to max operations with
// run, which returns one result per operation, in order. observe, if not
// nil, hears each batch's size and how long run took, before the batch is
// answered (so a caller who has its answer finds its batch counted); it runs
// on the batch goroutine and must not block.
func Start[Op, Res any](max int, run func(ops []Op) []Res, observe func(ops int, took time.Duration)) *Queue[Op, Res] {
	q := &Queue[Op, Res]{run: run, observe: observe, max: max, in: make(chan *pending[Op, Res], 4*max),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go q.loop()
	return q
}

// Submit queues op and waits for its result. The error is ctx's, when it
// ended before op was queued, or ErrClosed; either way op was not run.
func (q *Queue[Op, Res]) Submit(ctx context.Context, op Op) (Res, error) {
	var zero Res
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	p := &pending[Op, Res]{op: op, done: make(chan Res, 1)}
	select {
	case q.in <- p:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-q.stopped:
		return zero, ErrClosed
	}
	select {
	case r := <-p.done:
		return r, nil
	case <-q.stopped:
		// The runner answers every batch it took before it stops; an
		// operation still queued was never run.
		select {
		case r := <-p.done:
			return r, nil
		default:
			return zero, ErrClosed
		}
	}
}

// Waiting returns how many operations are queued for the next batch.
func (q *Queue[Op, Res]) Waiting() int { return len(q.in) }

// Stats returns how many batches have run, and how many operations in all.
func (q *Queue[Op, Res]) Stats() (batches, ops int64) {
	return q.batches.Load(), q.ops.Load()
}

// Close stops the runner once the batch it is running is answered.
func (q *Queue[Op, Res]) Close() {
	q.once.Do(func() { close(q.stop) })
	<-q.stopped
}

func (q *Queue[Op, Res]) loop() {
	defer close(q.stopped)
	batch := make([]*pending[Op, Res], 0, q.max)
	ops := make([]Op, 0, q.max)
	for {
		select {
		case p := <-q.in:
			batch = append(batch[:0], p)
		case <-q.stop:
			return
		}
		// Let the goroutines that are ready run first: under load they are
		// mostly callers on their way to Submit, who then join this batch
		// instead of each paying for a commit of its own. Idle, nobody else
		// is ready and this returns at once.
		runtime.Gosched()
	fill:
		for len(batch) < q.max {
			select {
			case p := <-q.in:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		ops = ops[:0]
		for _, p := range batch {
			ops = append(ops, p.op)
		}
		q.batches.Add(1)
		q.ops.Add(int64(len(ops)))
		start := time.Now()
		res := q.run(ops)
		if q.observe != nil {
			q.observe(len(ops), time.Since(start))
		}
		for i, r := range res {
			batch[i].done <- r
		}
		clear(batch) // let the operations be collected
		clear(ops)
	}
}
