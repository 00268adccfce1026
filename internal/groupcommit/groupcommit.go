// Package groupcommit gathers operations submitted from many goroutines into
// batches run one at a time by a single goroutine, so that a store can make a
// whole batch durable with one commit: group commit.
//
// Every operation is answered exactly once. An operation whose context ends
// before the batch runner takes it is answered with the context's error and
// never run: the runner checks each context as it takes the batch, so run
// sees only operations whose callers still wait. Once taken, the caller
// waits for the real outcome even if its context ends, so that it learns
// whether the operation was applied. A run that returns other than one
// result per operation answers every operation of its batch with an error.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// ErrClosed answers operations submitted to, or still queued in, a closed
// Queue.
var ErrClosed = errors.New("groupcommit: closed")

// errMiscounted answers the operations of a batch whose run returned the
// wrong number of results: which result is whose is unknown, and so is
// whether each was applied.
var errMiscounted = errors.New("groupcommit: run returned the wrong number of results")

// Queue runs batches of operations of type Op, each answered with a Res.
type Queue[Op, Res any] struct {
	run     func(ops []Op) []Res
	observe func(ops int, took time.Duration)
	max     int
	in      chan *pending[Op, Res]
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// pending is one operation in the queue. It keeps its caller's context,
// against the rule of passing contexts rather than storing them, because
// the runner must see whether the caller still waits when it takes the
// batch, long after Submit handed the operation over.
type pending[Op, Res any] struct {
	ctx  context.Context
	op   Op
	done chan answer[Res] // capacity 1: the runner never waits for the caller
}

type answer[Res any] struct {
	res Res
	err error
}

// Start starts the goroutine that runs batches of up to max operations with
// run, which must return one result per operation, in order; it is never
// called with an empty batch. observe, if not nil, hears each batch's size
// (the operations passed to run) and how long run took, before the batch is
// answered (so a caller who has its answer finds its batch counted); it runs
// on the batch goroutine and must not block.
func Start[Op, Res any](max int, run func(ops []Op) []Res, observe func(ops int, took time.Duration)) *Queue[Op, Res] {
	q := &Queue[Op, Res]{run: run, observe: observe, max: max, in: make(chan *pending[Op, Res], 4*max),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go q.loop()
	return q
}

// Submit queues op and waits for its result. An error means op was not run
// (ctx's error, when ctx ended before the runner took op, or ErrClosed) or
// that run miscounted its results, when whether op was applied is unknown.
func (q *Queue[Op, Res]) Submit(ctx context.Context, op Op) (Res, error) {
	var zero Res
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	p := &pending[Op, Res]{ctx: ctx, op: op, done: make(chan answer[Res], 1)}
	select {
	case q.in <- p:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-q.stopped:
		return zero, ErrClosed
	}
	select {
	case a := <-p.done:
		return a.res, a.err
	case <-q.stopped:
		// The runner answers every batch it took before it stops; an
		// operation still queued was never run.
		select {
		case a := <-p.done:
			return a.res, a.err
		default:
			return zero, ErrClosed
		}
	}
}

// Waiting returns how many operations are queued for the next batch.
func (q *Queue[Op, Res]) Waiting() int { return len(q.in) }

// Close stops the runner once the batch it is running is answered.
func (q *Queue[Op, Res]) Close() {
	q.once.Do(func() { close(q.stop) })
	<-q.stopped
}

func (q *Queue[Op, Res]) loop() {
	defer close(q.stopped)
	batch := make([]*pending[Op, Res], 0, q.max)
	live := make([]*pending[Op, Res], 0, q.max)
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
		live, ops = live[:0], ops[:0]
		for _, p := range batch {
			if err := p.ctx.Err(); err != nil {
				p.done <- answer[Res]{err: err}
				continue
			}
			live = append(live, p)
			ops = append(ops, p.op)
		}
		if len(ops) > 0 {
			q.runBatch(live, ops)
		}
		clear(batch) // let the operations and their contexts be collected
		clear(live)
		clear(ops)
	}
}

// runBatch runs ops, the operations of batch, and answers each.
func (q *Queue[Op, Res]) runBatch(batch []*pending[Op, Res], ops []Op) {
	start := time.Now()
	res := q.run(ops)
	if q.observe != nil {
		q.observe(len(ops), time.Since(start))
	}
	if len(res) != len(ops) {
		err := fmt.Errorf("%w: %d for %d operations, which may or may not have been applied",
			errMiscounted, len(res), len(ops))
		for _, p := range batch {
			p.done <- answer[Res]{err: err}
		}
		return
	}
	for i, r := range res {
		batch[i].done <- answer[Res]{res: r}
	}
}
