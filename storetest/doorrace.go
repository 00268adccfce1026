package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// An operator releasing rows and guests again and again while 50 guests
// book and release: every answer that changed seats has a version of its
// own, together they are the show's log exactly, and replayed in version
// order no acknowledged booking is lost except to an operator's release
// that came after it and names its holder. The final seat map is what the
// answers say.
func testReleaseUnderBookings(t *testing.T, f *fixture) {
	const (
		guests = 50
		ops    = 16
		rows   = 4
	)
	hall := hallOf(t, "door", "Door", "A ssssssss\nB ssssssss\nC ssssssss\nD ssssssss\n")
	show := boxoffice.Show{ID: "door", Title: "Door", StartsAt: t0.Add(5 * time.Hour), Hall: hall}
	f.apply(boxoffice.Programme{Halls: []boxoffice.Hall{hall}, Shows: []boxoffice.Show{show}})
	all := hall.Layout.Seats
	base := f.state("door").Version
	racers := make([]boxoffice.Guest, guests)
	for g := range racers {
		racers[g] = guest(fmt.Sprintf("door%d", g))
	}

	var (
		mu   sync.Mutex
		acks []boxoffice.Change // every answer that changed a seat
		byOp = map[int64]bool{} // the versions of the operator's answers
		errs []error
		wg   sync.WaitGroup
	)
	record := func(c boxoffice.Change, err error, what string, ok ...*boxoffice.Error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil && len(c.Seats) > 0:
			acks = append(acks, c)
			byOp[c.Version] = what == "ReleaseSeats" || what == "ReleaseGuest"
		case err == nil:
		case slices.ContainsFunc(ok, func(e *boxoffice.Error) bool { return errors.Is(err, e) }):
		default:
			errs = append(errs, fmt.Errorf("%s = %v", what, err))
		}
	}
	for g, racer := range racers {
		wg.Go(func() {
			for i := range ops {
				seat := all[(g*7+i*13)%len(all)].ID
				c, err := f.store.Book(f.ctx, "door", []boxoffice.SeatID{seat}, racer, "", 0)
				record(c, err, fmt.Sprintf("Book(%s)", seat), boxoffice.ErrTaken)
				if err == nil && i%3 == 0 {
					// The operator may have freed it, and another guest
					// booked it, meanwhile.
					c, err := f.store.Release(f.ctx, "door", []boxoffice.SeatID{seat}, racer)
					record(c, err, fmt.Sprintf("Release(%s)", seat), boxoffice.ErrNotYours)
				}
			}
		})
	}
	done := make(chan struct{})
	operator := make(chan int)
	go func() {
		i := 0
		defer func() { operator <- i }()
		for ; ; i++ {
			select {
			case <-done:
				if i >= 10 {
					return
				}
			default:
			}
			if i%2 == 0 {
				row := all[(i/2%rows)*8 : (i/2%rows+1)*8]
				var ids []boxoffice.SeatID
				for _, s := range row {
					ids = append(ids, s.ID)
				}
				c, err := f.store.ReleaseSeats(f.ctx, "door", ids)
				record(c, err, "ReleaseSeats")
			} else {
				c, err := f.store.ReleaseGuest(f.ctx, "door", racers[i%guests])
				record(c, err, "ReleaseGuest")
			}
		}
	}()
	wg.Wait()
	close(done)
	releases := <-operator
	for _, err := range errs {
		t.Error(err)
	}

	slices.SortFunc(acks, func(a, b boxoffice.Change) int { return cmp.Compare(a.Version, b.Version) })
	held := map[boxoffice.SeatID]boxoffice.Guest{}
	var freedByOperator int
	for i, c := range acks {
		if want := base + int64(i) + 1; c.Version != want {
			t.Fatalf("answer %d has version %d, want %d: versions given twice or an answer missing", i, c.Version, want)
		}
		for _, sc := range c.Seats {
			switch h, ok := held[sc.Seat]; {
			case sc.Holder != "" && ok:
				t.Errorf("version %d: %s booked %s, acknowledged to %s and not released", c.Version, who(sc.Holder), sc.Seat, who(h))
			case sc.Holder == "" && h != sc.By:
				t.Errorf("version %d: %s freed by %s, but held by %s", c.Version, sc.Seat, who(sc.By), who(h))
			}
			if sc.Holder == "" {
				delete(held, sc.Seat)
			} else {
				held[sc.Seat] = sc.Holder
			}
		}
		if byOp[c.Version] {
			freedByOperator += len(c.Seats)
		}
	}
	t.Logf("%d operator releases freed %d seats; %d answers changed seats; %d seats held at the end",
		releases, freedByOperator, len(acks), len(held))
	if freedByOperator == 0 {
		t.Errorf("no operator release freed a seat: the race was not run")
	}

	final := f.state("door")
	if !maps.Equal(final.Holders, held) {
		t.Errorf("seat map %s\nwant, as acknowledged, %s", holdersString(final.Holders), holdersString(held))
	}
	if got, want := changeStrings(final.Log[base:]), changeStrings(acks); !slices.Equal(got, want) {
		t.Errorf("the log after version %d is not the answers: %d changes logged, %d answered", base, len(got), len(want))
	}
	if got := replay(t, final.Log, 0); !maps.Equal(got, final.Holders) {
		t.Errorf("the log replays to %s, the seat map is %s", holdersString(got), holdersString(final.Holders))
	}
}
