package sqlite

import (
	"boxoffice/internal/groupcommit"
	"context"
	"errors"
	"fmt"
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
		_, err := s.Book(ctx, show, []boxoffice.SeatID{"A1"}, g("alice"), "", 0)
		first <- err
	}()
	<-blocked

	type outcome struct {
		c   boxoffice.Change
		err error
	}
	queue := func(ctx context.Context, guest string, seats ...boxoffice.SeatID) chan outcome {
		out := make(chan outcome, 1)
		n := s.writes.Waiting()
		go func() {
			c, err := s.Book(ctx, show, seats, g(guest), "", 0)
			out <- outcome{c, err}
		}()
		for s.writes.Waiting() == n { // queued in this order, so batched in it
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
	if _, err := s.Book(t.Context(), show, []boxoffice.SeatID{"A1"}, boxoffice.GuestFromToken("late"), "", 0); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("Book after Close = %v, want %v", err, groupcommit.ErrClosed)
	}
}

// A batch of many ops, one commit, logs every op that changed seats at its
// own version, with its seats in the order asked, and nothing of a refused
// op: what the live feed and reconnecting browsers replay.
func TestBigBatchLogsEveryChange(t *testing.T) {
	block, blocked := make(chan struct{}), make(chan struct{}, 1)
	var s *Store
	s = openTest(t, filepath.Join(t.TempDir(), "log.db"), Options{
		OnCommit: func(boxoffice.ShowID, int64) {
			select {
			case blocked <- struct{}{}:
				<-block
			default:
			}
		},
	})
	p := seedDemo(t, s, time.Now())
	var show boxoffice.ShowID
	var seats []boxoffice.SeatID
	for _, sh := range p.Shows {
		if l := sh.Hall.Layout.Seats; len(l) >= 200 {
			show = sh.ID
			for _, seat := range l {
				seats = append(seats, seat.ID)
			}
			break
		}
	}
	ctx := t.Context()
	g := boxoffice.GuestFromToken
	first := make(chan error, 1)
	go func() {
		_, err := s.Book(ctx, show, seats[:1], g("first"), "", 0)
		first <- err
	}()
	<-blocked

	// 71 ops in one batch (the queue holds them all).
	type outcome struct {
		c   boxoffice.Change
		err error
	}
	var outs []chan outcome
	queue := func(guest string, book bool, seats ...boxoffice.SeatID) {
		out := make(chan outcome, 1)
		n := s.writes.Waiting()
		go func() {
			op := s.Release
			if book {
				op = func(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, g boxoffice.Guest) (boxoffice.Change, error) {
					return s.Book(ctx, show, seats, g, "", 0)
				}
			}
			c, err := op(ctx, show, seats, g(guest))
			out <- outcome{c, err}
		}()
		for s.writes.Waiting() == n {
			runtime.Gosched()
		}
		outs = append(outs, out)
	}
	for i := 1; i <= 60; i++ {
		queue(fmt.Sprint("g", i), true, seats[i])
	}
	queue("many", true, seats[70], seats[65], seats[61]) // three rows, in this order
	queue("late", true, seats[61], seats[62])            // refused: 61 is taken
	queue("g1", false, seats[1])                         // a release
	for i := 2; i <= 9; i++ {
		queue(fmt.Sprint("g", i), false, seats[i])
	}
	close(block)
	if err := <-first; err != nil {
		t.Fatal(err)
	}

	want := map[int64]boxoffice.Change{}
	for i, out := range outs {
		o := <-out
		switch {
		case i == 61:
			if !errors.Is(o.err, boxoffice.ErrTaken) {
				t.Errorf("the late booking = %v, want taken", o.err)
			}
		case o.err != nil:
			t.Fatalf("op %d: %v", i, o.err)
		default:
			want[o.c.Version] = o.c
		}
	}
	logged, err := s.ChangesSince(ctx, show, 1, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != len(want) || len(want) != 70 {
		t.Fatalf("%d changes logged after the first, %d acknowledged; want 70 of each", len(logged), len(want))
	}
	for _, c := range logged {
		w, ok := want[c.Version]
		if !ok || len(c.Seats) != len(w.Seats) {
			t.Fatalf("logged version %d: %+v, acknowledged %+v", c.Version, c, w)
		}
		for i := range c.Seats {
			if c.Seats[i] != w.Seats[i] {
				t.Errorf("version %d seat %d: logged %+v, acknowledged %+v", c.Version, i, c.Seats[i], w.Seats[i])
			}
		}
	}
}
