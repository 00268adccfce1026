package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice"
)

// The core promise: however many guests try at once, a seat gets one holder.
func testOneSeatManyGuests(t *testing.T, f *fixture) {
	const n = 200
	var (
		start   = make(chan struct{})
		wg      sync.WaitGroup
		won     = make(chan boxoffice.Guest, n)
		taken   atomic.Int64
		version atomic.Int64
	)
	for i := range n {
		g := guest(fmt.Sprint("crowd-", i))
		wg.Go(func() {
			<-start
			c, err := f.store.Book(f.ctx, evening, seats("B2"), g, "", 0)
			switch {
			case err == nil:
				version.Store(c.Version)
				won <- g
			case errors.Is(err, boxoffice.ErrTaken) && slices.Equal(boxoffice.ErrorSeats(err), seats("B2")):
				taken.Add(1)
			default:
				t.Errorf("guest %d: Book = %v, want success or taken naming B2", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(won)

	var winners []boxoffice.Guest
	for g := range won {
		winners = append(winners, g)
	}
	if len(winners) != 1 || taken.Load() != n-1 {
		t.Fatalf("%d guests booked the same seat at once: %d succeeded and %d were told it was taken; want 1 and %d",
			n, len(winners), taken.Load(), n-1)
	}
	st := f.state(evening)
	if st.Holders["B2"] != winners[0] || len(st.Holders) != 1 || st.Version != 1 || version.Load() != 1 {
		t.Errorf("after the rush: holders %s, version %d (winner told %d); want B2 held by the winner at version 1",
			holdersString(st.Holders), st.Version, version.Load())
	}
	if len(st.Log) != 1 {
		t.Errorf("after the rush the change log has %d changes, want 1", len(st.Log))
	}
}

// ack is an operation the store acknowledged, with the version it returned.
type ack struct {
	g      boxoffice.Guest
	book   bool
	seats  []boxoffice.SeatID // as asked, repeats and all
	change boxoffice.Change
}

// Many guests booking and releasing at once leave a seat map that the
// acknowledgements explain: each acknowledged operation saw the seats it
// named in the state it reported, at the version it reported, and that
// state is what replaying the change log gives at that version.
func testConcurrentTraffic(t *testing.T, f *fixture) {
	const guests, ops = 32, 50
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	hall := f.prog.Halls[0].Layout.Seats // evening plays in the small hall: much contention
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		acks  []ack
	)
	for i := range guests {
		g := guest(fmt.Sprint("busy-", i))
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
		wg.Go(func() {
			<-start
			mine := map[boxoffice.SeatID]bool{} // what g believes it holds
			for range ops {
				var ids []boxoffice.SeatID
				for range 1 + rng.IntN(3) {
					ids = append(ids, hall[rng.IntN(len(hall))].ID)
				}
				// Mostly release seats g holds, or the log would be all refusals.
				book := rng.IntN(2) == 0
				if held := slices.Sorted(maps.Keys(mine)); !book && len(held) > 0 && rng.IntN(4) > 0 {
					for j := range ids {
						ids[j] = held[rng.IntN(len(held))]
					}
				}
				var c boxoffice.Change
				var err error
				if book {
					c, err = f.store.Book(f.ctx, evening, ids, g, "", 0)
				} else {
					c, err = f.store.Release(f.ctx, evening, ids, g)
				}
				switch {
				case err == nil:
					for _, id := range ids {
						if book {
							mine[id] = true
						} else {
							delete(mine, id)
						}
					}
					mu.Lock()
					acks = append(acks, ack{g: g, book: book, seats: ids, change: c})
					mu.Unlock()
				case book && errors.Is(err, boxoffice.ErrTaken), !book && errors.Is(err, boxoffice.ErrNotYours):
					// Refused: another guest was quicker.
				default:
					t.Errorf("book=%v %v: %v", book, ids, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()

	st := f.state(evening)
	replay(t, st.Log, 0) // versions 1..N, no gaps or repeats
	if n := int64(len(st.Log)); n != st.Version {
		t.Fatalf("change log has %d changes but SeatMap is at version %d", n, st.Version)
	}
	// history[seat] is the seat's holder after each version.
	history := map[boxoffice.SeatID][]boxoffice.Guest{}
	for _, s := range hall {
		history[s.ID] = make([]boxoffice.Guest, st.Version+1)
	}
	for _, c := range st.Log {
		for _, h := range history {
			h[c.Version] = h[c.Version-1]
		}
		for _, sc := range c.Seats {
			history[sc.Seat][c.Version] = sc.Holder
		}
	}
	for _, s := range hall {
		if got, want := st.Holders[s.ID], history[s.ID][st.Version]; got != want {
			t.Errorf("seat %s: SeatMap says %s, replaying the change log says %s", s.ID, who(got), who(want))
		}
	}

	// The acknowledgements, checked against the log.
	logged := 0
	last := map[boxoffice.SeatID]ack{} // the acknowledged operation with the highest version per seat
	for _, a := range acks {
		v := a.change.Version
		if v < 0 || v > st.Version || v == 0 && len(a.change.Seats) > 0 {
			t.Errorf("%s acknowledged at version %d, beyond the log's %d", changeString(a.change), v, st.Version)
			continue
		}
		if len(a.change.Seats) > 0 {
			logged++
			if got, want := changeString(st.Log[v-1]), changeString(a.change); got != want {
				t.Errorf("version %d: operation returned %s, log has %s", v, want, got)
			}
		}
		for _, id := range a.seats {
			want := a.g
			if !a.book {
				want = ""
			}
			if got := history[id][v]; got != want {
				t.Errorf("book=%v of %s acknowledged at version %d, but at that version the seat's holder is %s",
					a.book, id, v, who(got))
			}
			if prev, ok := last[id]; !ok || prev.change.Version < v {
				last[id] = a
			}
		}
	}
	if int64(logged) != st.Version {
		t.Errorf("%d operations acknowledged a change, but the log has %d", logged, st.Version)
	}
	for _, s := range hall {
		a, ok := last[s.ID]
		want := boxoffice.Guest("")
		if ok && a.book {
			want = a.g
		}
		if got := st.Holders[s.ID]; got != want {
			t.Errorf("seat %s: SeatMap holder %s, but the last acknowledged operation on it says %s", s.ID, who(got), who(want))
		}
	}
	t.Logf("%d operations acknowledged, %d changes", len(acks), st.Version)
}

// A cancelled context fails the operation with the context's error, not a
// domain error, and leaves nothing behind: no change, no open transaction.
func testCancelledContext(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	before := f.state(evening)
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	_, err := f.store.Book(ctx, evening, seats("A2"), alice, "", 0)
	wantCanceled(t, err, "Book")
	_, err = f.store.Release(ctx, evening, seats("A1"), alice)
	wantCanceled(t, err, "Release")
	_, err = f.store.SeatMap(ctx, evening)
	wantCanceled(t, err, "SeatMap")
	_, err = f.store.ChangesSince(ctx, evening, 0, 10)
	wantCanceled(t, err, "ChangesSince")
	f.unchanged(evening, before, "cancelled operations")
	f.afterCancel()
}

// Operations cancelled while they run either complete or leave no trace.
func testCancelInFlight(t *testing.T, f *fixture) {
	hall := f.prog.Halls[0].Layout.Seats
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		acked = make(chan boxoffice.Change, len(hall))
	)
	for i, s := range hall {
		g := guest(fmt.Sprint("hasty-", i))
		wg.Go(func() {
			<-start
			c, err := f.store.Book(ctx, evening, []boxoffice.SeatID{s.ID}, g, "", 0)
			if err != nil {
				if code := boxoffice.ErrorCode(err); code != "" {
					t.Errorf("cancelled Book of %s: %v, a %s error; want the cancellation", s.ID, err, code)
				}
				return
			}
			cancel() // the first to finish cancels the rest mid-way
			acked <- c
		})
	}
	close(start)
	wg.Wait()
	close(acked)

	st := f.state(evening)
	if held := replay(t, st.Log, 0); !maps.Equal(held, st.Holders) {
		t.Errorf("replaying the change log gives %s, but SeatMap holds %s", holdersString(held), holdersString(st.Holders))
	}
	n := 0
	for c := range acked {
		n++
		if sc := c.Seats[0]; st.Holders[sc.Seat] != sc.Holder {
			t.Errorf("booking of %s acknowledged, but SeatMap says its holder is %s", sc.Seat, who(st.Holders[sc.Seat]))
		}
	}
	if n == 0 {
		t.Error("no booking completed")
	}
	f.afterCancel()
}

func wantCanceled(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, context.Canceled) || boxoffice.ErrorCode(err) != "" {
		t.Errorf("%s with a cancelled context = %v, want context.Canceled", what, err)
	}
}

// afterCancel checks that the store still works promptly: a transaction
// left open by a cancelled operation would block the next writer.
func (f *fixture) afterCancel() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer cancel()
	m, err := f.store.SeatMap(ctx, gala)
	if err != nil {
		f.t.Fatalf("SeatMap after cancellations = %v", err)
	}
	c, err := f.store.Book(ctx, gala, seats("A1"), guest("after-cancel"), "", 0)
	if err != nil {
		f.t.Fatalf("Book after cancellations = %v", err)
	}
	if c.Version != m.Version+1 {
		f.t.Errorf("Book after cancellations committed at version %d, want %d", c.Version, m.Version+1)
	}
}
