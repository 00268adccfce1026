package storetest

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"boxoffice"
)

// The door admits a ticket while its guest releases its seats one by one:
// an admission never covers a ticket half released behind its back. After
// both, either the admission found no seats (every release came first), or
// it was first and the seats it admitted are exactly those the guest still
// holds: every release after it was refused.
func testAdmitRacesRelease(t *testing.T, f *fixture) {
	const rounds = 40
	outcomes := map[string]int{}
	for i := range rounds {
		name := fmt.Sprintf("racer%d", i)
		g, hash := guest(name), ticketOf(gala, name)
		f.bookTicket(gala, name, "A1", "A2")

		var (
			tk       boxoffice.Ticket
			first    bool
			admitErr error
			released []boxoffice.SeatID
			refused  error
			start    = make(chan struct{})
			done     = make(chan struct{})
		)
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			// Reads of the ticket, as a door's phone makes, more in each
			// round of a cycle: they move the admission across the
			// releases, so that rounds end in each way.
			for range i % 6 {
				_, _ = f.store.Ticket(f.ctx, hash)
			}
			tk, first, admitErr = f.store.Admit(f.ctx, hash, t0)
		}()
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			for _, seat := range seats("A1", "A2") {
				if _, err := f.store.Release(f.ctx, gala, []boxoffice.SeatID{seat}, g); err != nil {
					refused = err
					return
				}
				released = append(released, seat)
			}
		}()
		close(start)
		<-done
		<-done

		m, err := f.store.SeatMap(f.ctx, gala)
		if err != nil {
			t.Fatal(err)
		}
		var holds []boxoffice.SeatID
		for _, seat := range slices.Sorted(maps.Keys(m.Holders)) {
			if m.Holders[seat] == g {
				holds = append(holds, seat)
			}
		}
		switch {
		case refused != nil && !errorIs(refused, boxoffice.ErrAdmitted):
			t.Errorf("round %d: Release = %v, want success or ErrAdmitted", i, refused)
		case admitErr == nil && !first:
			t.Errorf("round %d: the only admission was not first", i)
		case admitErr == nil && (refused == nil || !slices.Equal(tk.Seats, holds) || len(holds) == 0):
			t.Errorf("round %d: admitted with seats %v, released %v then %v; the guest holds %v",
				i, tk.Seats, released, refused, holds)
		case admitErr == nil:
			outcomes[fmt.Sprintf("admitted with %d seats", len(holds))]++
		case errorIs(admitErr, boxoffice.ErrNotFound) && (refused != nil || len(holds) > 0):
			t.Errorf("round %d: admission found no seats, but the release was %v and the guest holds %v", i, refused, holds)
		case errorIs(admitErr, boxoffice.ErrNotFound):
			outcomes["released first"]++
		default:
			t.Errorf("round %d: Admit = %v, want success or ErrNotFound", i, admitErr)
		}
		if _, err := f.store.ReleaseGuest(f.ctx, gala, g); err != nil {
			t.Fatalf("round %d: ReleaseGuest = %v", i, err)
		}
	}
	t.Logf("%d rounds: %v", rounds, outcomes)
}
