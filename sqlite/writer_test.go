package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"boxoffice"
)

// Ops queued while the writer is busy run as one batch, in one transaction,
// yet each keeps its own outcome: a refused op is undone alone (its other
// seats stay free for the next op), a cancelled op is not applied, and every
// op that changed seats has its own version.
func TestBatchKeepsEachOpsOutcome(t *testing.T) {
	block, blocked := make(chan struct{}), make(chan struct{}, 1)
	var s *Store
	s = openTest(t, filepath.Join(t.TempDir(), "batch.db"), Options{
		OnCommit: func(boxoffice.ShowID, int64) {
			select {
			case blocked <- struct{}{}:
				<-block // hold the writer after the first commit only
			default:
			}
		},
	})
	show := seedDemo(t, s, time.Now()).Shows[0].ID
	g := boxoffice.GuestFromToken
	ctx := t.Context()

	first := make(chan error, 1)
	go func() {
		_, err := s.Book(ctx, show, []boxoffice.SeatID{"A1"}, g("alice"))
		first <- err
	}()
	<-blocked

	type outcome struct {
		c   boxoffice.Change
		err error
	}
	queue := func(ctx context.Context, guest string, seats ...boxoffice.SeatID) chan outcome {
		out := make(chan outcome, 1)
		n := len(s.queue)
		go func() {
			c, err := s.Book(ctx, show, seats, g(guest))
			out <- outcome{c, err}
		}()
		for len(s.queue) == n { // queued in this order, so batched in it
			runtime.Gosched()
		}
		return out
	}
	cancelled, cancel := context.WithCancel(ctx)
	bob := queue(ctx, "bob", "A2", "A1") // A1 is alice's: refused, A2 undone
	carol := queue(ctx, "carol", "A2")
	gone := queue(cancelled, "dave", "A4")
	erin := queue(ctx, "erin", "A3")
	cancel()
	close(block)

	if err := <-first; err != nil {
		t.Fatalf("alice's Book = %v", err)
	}
	if o := <-bob; !errors.Is(o.err, boxoffice.ErrTaken) || len(boxoffice.ErrorSeats(o.err)) != 1 {
		t.Errorf("bob's Book of A2 A1 = %v, want taken naming A1", o.err)
	}
	if o := <-carol; o.err != nil || o.c.Version != 2 {
		t.Errorf("carol's Book of A2 = version %d, %v; want version 2", o.c.Version, o.err)
	}
	if o := <-gone; !errors.Is(o.err, context.Canceled) {
		t.Errorf("cancelled Book = %v, want context.Canceled", o.err)
	}
	if o := <-erin; o.err != nil || o.c.Version != 3 {
		t.Errorf("erin's Book of A3 = version %d, %v; want version 3", o.c.Version, o.err)
	}
	m, err := s.SeatMap(ctx, show)
	if err != nil {
		t.Fatal(err)
	}
	want := map[boxoffice.SeatID]boxoffice.Guest{"A1": g("alice"), "A2": g("carol"), "A3": g("erin")}
	if m.Version != 3 || len(m.Holders) != len(want) {
		t.Errorf("seat map at version %d holds %v, want version 3 with %v", m.Version, m.Holders, want)
	}
	for seat, holder := range want {
		if m.Holders[seat] != holder {
			t.Errorf("%s is held by %q, want %q", seat, m.Holders[seat], holder)
		}
	}
}

// Closing the store answers ops it never took with an error; none is left
// waiting.
func TestCloseAnswersQueuedOps(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "close.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	show := seedDemo(t, s, time.Now()).Shows[0].ID
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Book(t.Context(), show, []boxoffice.SeatID{"A1"}, boxoffice.GuestFromToken("late")); !errors.Is(err, errClosed) {
		t.Errorf("Book after Close = %v, want %v", err, errClosed)
	}
}
