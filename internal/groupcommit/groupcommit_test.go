package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Many goroutines submit at once: every operation is run exactly once and
// answered with its own result, and some batches hold several operations;
// the observer hears every batch run, with its size.
func TestEveryOperationRunsOnceAndGetsItsOwnResult(t *testing.T) {
	var runs sync.Map
	// Only the batch goroutine writes these; each Submit's answer comes
	// after its batch was run and observed, so wg.Wait orders the reads.
	var batches, ops, observed, observedOps int64
	q := Start(16, func(batch []int) []int {
		batches++
		ops += int64(len(batch))
		res := make([]int, len(batch))
		for i, op := range batch {
			if _, dup := runs.LoadOrStore(op, true); dup {
				t.Errorf("operation %d ran twice", op)
			}
			res[i] = op * 10
		}
		return res
	}, func(ops int, took time.Duration) {
		if ops < 1 || ops > 16 || took < 0 {
			t.Errorf("observed a batch of %d operations taking %v", ops, took)
		}
		observed++
		observedOps += int64(ops)
	})
	defer q.Close()
	const n = 500
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := q.Submit(context.Background(), i)
			if err != nil || r != i*10 {
				t.Errorf("Submit(%d) = %d, %v; want %d", i, r, err, i*10)
			}
		})
	}
	wg.Wait()
	if observedOps != n || observed < 1 || observed > n {
		t.Errorf("observed %d batches, %d ops; want %d ops", observed, observedOps, n)
	}
	if observed != batches || observedOps != ops {
		t.Errorf("observed %d batches with %d operations; run saw %d with %d", observed, observedOps, batches, ops)
	}
	t.Logf("%d operations in %d batches", ops, batches)
}

// An operation whose context has ended is not run.
func TestCancelledBeforeQueuedIsNotRun(t *testing.T) {
	var ran atomic.Int32
	q := Start(4, func(ops []int) []int { ran.Add(int32(len(ops))); return make([]int, len(ops)) }, nil)
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Submit(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := q.Submit(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if got := ran.Load(); got != 1 {
		t.Errorf("%d operations ran, want only the live one", got)
	}
}

// After Close, Submit fails with ErrClosed and runs nothing; a batch being
// run when Close is called is still answered.
func TestClose(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	q := Start(4, func(ops []int) []int {
		close(started)
		<-release
		return make([]int, len(ops))
	}, nil)
	answered := make(chan error, 1)
	go func() {
		_, err := q.Submit(context.Background(), 1)
		answered <- err
	}()
	<-started
	closed := make(chan struct{})
	go func() { q.Close(); close(closed) }()
	close(release)
	if err := <-answered; err != nil {
		t.Errorf("the operation being run when Close was called: %v, want its result", err)
	}
	<-closed
	if _, err := q.Submit(context.Background(), 2); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Close = %v, want ErrClosed", err)
	}
}

// Operations whose context ends while they wait in the queue are answered
// with the context's error when the runner takes them, and run never sees
// them: not in a batch of their own, not among live operations.
func TestExpiredWhileQueuedIsNotRun(t *testing.T) {
	for _, c := range []struct {
		name    string
		expired func(i int) bool
	}{
		{"every other", func(i int) bool { return i%2 == 0 }},
		{"all", func(int) bool { return true }},
	} {
		t.Run(c.name, func(t *testing.T) {
			// synctest.Wait tells when every submitter is blocked, so queued.
			synctest.Test(t, func(t *testing.T) {
				const n = 200
				var seen []int // only the batch goroutine writes it until Close
				started, release := make(chan struct{}), make(chan struct{})
				q := Start(64, func(ops []int) []int {
					if len(ops) == 0 {
						t.Error("run called with no operations")
					}
					if ops[0] == -1 {
						close(started)
						<-release // hold the runner while the others queue
					}
					seen = append(seen, ops...)
					return ops
				}, nil)
				first := make(chan error, 1)
				go func() { _, err := q.Submit(context.Background(), -1); first <- err }()
				<-started

				errs := make([]error, n)
				cancels := make([]context.CancelFunc, n)
				var wg sync.WaitGroup
				for i := range n {
					ctx, cancel := context.WithCancel(context.Background())
					cancels[i] = cancel
					wg.Go(func() {
						r, err := q.Submit(ctx, i)
						if err == nil && r != i {
							t.Errorf("Submit(%d) = %d, want %d", i, r, i)
						}
						errs[i] = err
					})
				}
				synctest.Wait()
				if q.Waiting() != n {
					t.Fatalf("%d operations queued, want %d", q.Waiting(), n)
				}
				for i := range n {
					if c.expired(i) {
						cancels[i]()
					}
				}
				close(release)
				wg.Wait()
				if err := <-first; err != nil {
					t.Errorf("the operation being run: %v", err)
				}
				q.Close()

				ran := map[int]bool{}
				for _, op := range seen {
					ran[op] = true
				}
				for i := range n {
					switch {
					case c.expired(i) && !errors.Is(errs[i], context.Canceled):
						t.Errorf("operation %d, cancelled while queued: %v, want context.Canceled", i, errs[i])
					case c.expired(i) && ran[i]:
						t.Errorf("operation %d, cancelled while queued, was run", i)
					case !c.expired(i) && (errs[i] != nil || !ran[i]):
						t.Errorf("live operation %d: ran %v, %v", i, ran[i], errs[i])
					}
					cancels[i]()
				}
			})
		})
	}
}

// A run that returns other than one result per operation answers every
// operation of its batch with an error, rather than leaving some callers
// waiting forever or indexing past its results; the queue goes on.
func TestMiscountedRunAnswersEveryone(t *testing.T) {
	for _, c := range []struct {
		name  string
		count func(n int) int
	}{
		{"one short", func(n int) int { return n - 1 }},
		{"none", func(int) int { return 0 }},
		{"one extra", func(n int) int { return n + 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var wrong atomic.Bool
			wrong.Store(true)
			q := Start(16, func(ops []int) []int {
				if wrong.Load() {
					return make([]int, c.count(len(ops)))
				}
				return ops
			}, nil)
			defer q.Close()
			const n = 200
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					if _, err := q.Submit(context.Background(), i); !errors.Is(err, errMiscounted) {
						t.Errorf("Submit(%d) = %v, want the miscount error", i, err)
					}
				})
			}
			wg.Wait()
			wrong.Store(false)
			if r, err := q.Submit(context.Background(), 7); err != nil || r != 7 {
				t.Errorf("Submit after the miscounted batches = %d, %v; want 7", r, err)
			}
		})
	}
}
