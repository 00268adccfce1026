package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many goroutines submit at once: every operation is run exactly once and
// answered with its own result, and some batches hold several operations;
// the observer hears every batch, with its size.
func TestEveryOperationRunsOnceAndGetsItsOwnResult(t *testing.T) {
	var runs sync.Map
	var observed, observedOps int64 // only the batch goroutine writes them
	q := Start(16, func(ops []int) []int {
		res := make([]int, len(ops))
		for i, op := range ops {
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
	batches, ops := q.Stats()
	if ops != n || batches < 1 || batches > n {
		t.Errorf("Stats = %d batches, %d ops; want %d ops", batches, ops, n)
	}
	if observed != batches || observedOps != n {
		t.Errorf("observed %d batches with %d operations; Stats says %d with %d", observed, observedOps, batches, ops)
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
