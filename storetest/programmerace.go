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

// Programme changes under 50 concurrent guests: the hall's last row comes
// and goes (refused while one of its seats is booked) and the show moves in
// time, while every guest books and releases seats, the last row's among
// them. No acknowledged booking is lost, and no seat the final layout lacks
// is held: the final seat map is exactly what the answers said.
func testProgrammeUnderBookings(t *testing.T, f *fixture) {
	const (
		guests = 50
		ops    = 16
		full   = "A ssssssss\nB ssssssss\nC ssssssss\nD ssss\n"
		cut    = "A ssssssss\nB ssssssss\nC ssssssss\n"
	)
	hall := hallOf(t, "race", "Race", full)
	show := boxoffice.Show{ID: "race", Title: "Race", StartsAt: t0.Add(5 * time.Hour), Hall: hall}
	f.apply(boxoffice.Programme{Halls: []boxoffice.Hall{hall}, Shows: []boxoffice.Show{show}})
	all := hall.Layout.Seats

	var (
		mu   sync.Mutex
		acks []boxoffice.Change // every answer that changed a seat
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for g := range guests {
		wg.Go(func() {
			racer := guest(fmt.Sprintf("racer%d", g))
			for i := range ops {
				seat := all[(g*7+i*13)%len(all)].ID
				c, err := f.store.Book(f.ctx, "race", []boxoffice.SeatID{seat}, racer, "", 0)
				switch {
				case err == nil && len(c.Seats) == 1:
					mu.Lock()
					acks = append(acks, c)
					mu.Unlock()
				case err == nil, errors.Is(err, boxoffice.ErrTaken), errors.Is(err, boxoffice.ErrNotFound),
					errors.Is(err, boxoffice.ErrUnavailable):
					continue
				default:
					fail(fmt.Errorf("Book(%s) = %v", seat, err))
					continue
				}
				if seat[0] == 'D' || i%3 == 0 { // the last row is given back, so it can go
					c, err := f.store.Release(f.ctx, "race", []boxoffice.SeatID{seat}, racer)
					if errors.Is(err, boxoffice.ErrUnavailable) {
						continue // not released: the seat stays the racer's
					} else if err != nil {
						fail(fmt.Errorf("Release(%s) = %v", seat, err))
						continue
					}
					mu.Lock()
					acks = append(acks, c)
					mu.Unlock()
				}
			}
		})
	}
	done := make(chan struct{})
	var applied, refused int
	updater := make(chan struct{})
	go func() {
		defer close(updater)
		for i := 0; ; i++ {
			select {
			case <-done:
				if i >= 10 {
					return
				}
			default:
			}
			src := full
			if i%2 == 0 {
				src = cut
			}
			h := hallOf(t, "race", "Race", src)
			sh := show
			sh.StartsAt = show.StartsAt.Add(time.Duration(i) * time.Minute)
			sh.Hall = h
			_, err := f.store.ApplyProgramme(f.ctx, boxoffice.Programme{Halls: []boxoffice.Hall{h}, Shows: []boxoffice.Show{sh}}, false)
			switch {
			case err == nil:
				applied++
			case errors.Is(err, boxoffice.ErrConflict):
				refused++
			default:
				fail(fmt.Errorf("ApplyProgramme = %v", err))
				return
			}
		}
	}()
	wg.Wait()
	close(done)
	<-updater
	for _, err := range errs {
		t.Error(err)
	}
	// The answers, in version order, say who holds what: a booking of a
	// seat acknowledged to another guest and not released is a lost one.
	slices.SortFunc(acks, func(a, b boxoffice.Change) int { return cmp.Compare(a.Version, b.Version) })
	held := map[boxoffice.SeatID]boxoffice.Guest{}
	for _, c := range acks {
		sc := c.Seats[0]
		if h, ok := held[sc.Seat]; ok && sc.Holder != "" {
			t.Errorf("version %d: %s booked %s, acknowledged to %s and not released", c.Version, who(sc.Holder), sc.Seat, who(h))
		}
		if sc.Holder == "" {
			delete(held, sc.Seat)
		} else {
			held[sc.Seat] = sc.Holder
		}
	}
	t.Logf("%d programme changes applied, %d refused, %d seats held", applied, refused, len(held))
	if applied == 0 {
		t.Errorf("no programme change got through")
	}

	final := f.state("race")
	if !maps.Equal(final.Holders, held) {
		t.Errorf("seat map %s\nwant, as acknowledged, %s", holdersString(final.Holders), holdersString(held))
	}
	sh, err := f.store.Show(f.ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	for seat := range final.Holders {
		if !sh.Hall.Layout.Has(seat) {
			t.Errorf("seat %s is held, but the hall's layout lacks it", seat)
		}
	}
	var programme int
	for _, c := range final.Log {
		if c.Programme {
			programme++
		}
	}
	if got := replay(t, final.Log, 0); !maps.Equal(got, final.Holders) {
		t.Errorf("the log replays to %s, the seat map is %s", holdersString(got), holdersString(final.Holders))
	}
	if programme != applied { // each applied change moved the show or its hall
		t.Errorf("programme changes in the log: %d, want one per change applied, %d", programme, applied)
	}
}
