package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"boxoffice"
)

// Tickets and the door (Book's ticket, Ticket, Admit, Booking.AdmittedAt).

// token is the cookie token behind the suite's guest of that name (see
// guest): what a ticket's code is derived from.
func token(name string) string { return "storetest-" + name }

// ticketOf is the hash of the ticket the named guest has for show.
func ticketOf(show boxoffice.ShowID, name string) boxoffice.TicketHash {
	return boxoffice.TicketCodeFor(show, token(name)).Hash()
}

// bookTicket books seats for the named guest, with its ticket, and fails
// the test unless it succeeds.
func (f *fixture) bookTicket(show boxoffice.ShowID, name string, ids ...string) boxoffice.Change {
	f.t.Helper()
	c, err := f.store.Book(f.ctx, show, seats(ids...), guest(name), ticketOf(show, name), 0)
	if err != nil {
		f.t.Fatalf("Book(%s, %s, %v) with a ticket = %v", show, name, ids, err)
	}
	return c
}

// wantTicket fails the test unless the ticket is found, the named guest's
// for show, with exactly the seats given in that order and admitted at
// admitted (zero: not admitted).
func (f *fixture) wantTicket(show boxoffice.ShowID, name string, admitted time.Time, ids ...string) boxoffice.Ticket {
	f.t.Helper()
	tk, err := f.store.Ticket(f.ctx, ticketOf(show, name))
	if err != nil {
		f.t.Errorf("Ticket of %s for %s = %v, want seats %v", name, show, err, ids)
		return tk
	}
	f.checkTicket(tk, show, name, admitted, ids...)
	return tk
}

func (f *fixture) checkTicket(tk boxoffice.Ticket, show boxoffice.ShowID, name string, admitted time.Time, ids ...string) {
	f.t.Helper()
	if tk.Show.ID != show || tk.Guest != guest(name) || !slices.Equal(tk.Seats, seats(ids...)) {
		f.t.Errorf("ticket of %s for %s = show %s, guest %s, seats %v; want %v", name, show, tk.Show.ID, who(tk.Guest), tk.Seats, ids)
	}
	if !tk.AdmittedAt.Equal(admitted) {
		f.t.Errorf("ticket of %s for %s admitted at %v, want %v", name, show, tk.AdmittedAt, admitted)
	}
}

// A booking with a ticket makes it findable by its hash alone, with the
// show, its hall and the guest's seats in hall order, however they were
// booked; another show's ticket, a guest without seats and a booking
// without a ticket find nothing.
func testTicket(t *testing.T, f *fixture) {
	f.bookTicket(gala, "alice", "A10", "B1")
	f.bookTicket(gala, "alice", "A2") // the guest has its ticket: nothing more to store
	f.bookTicket(gala, "bob", "A3")
	tk := f.wantTicket(gala, "alice", time.Time{}, "A2", "A10", "B1")
	if tk.Show.Title != "Gala Night" || !tk.Show.StartsAt.Equal(t0.Add(2*time.Hour)) || tk.Show.Hall.ID != "wide" || !tk.Show.Hall.Layout.Has("B1") {
		t.Errorf("ticket's show = %+v, want the gala in the wide hall", tk.Show)
	}
	f.wantTicket(gala, "bob", time.Time{}, "A3")

	for what, hash := range map[string]boxoffice.TicketHash{
		"alice's for another show":   ticketOf(evening, "alice"),
		"carol's, who holds nothing": ticketOf(gala, "carol"),
		"no ticket":                  "",
		"a code nobody has":          boxoffice.TicketCode("0000000000AB").Hash(),
	} {
		_, err := f.store.Ticket(f.ctx, hash)
		wantError(t, err, boxoffice.ErrNotFound, "Ticket: "+what)
		_, _, err = f.store.Admit(f.ctx, hash, t0)
		wantError(t, err, boxoffice.ErrNotFound, "Admit: "+what)
	}

	// A caller without the guest's token stores no ticket; the guest's
	// next booking with it does, even one that changes no seat (a guest
	// who booked before tickets existed).
	f.book(evening, carol, "B2")
	_, err := f.store.Ticket(f.ctx, ticketOf(evening, "carol"))
	wantError(t, err, boxoffice.ErrNotFound, "Ticket of a guest who booked without one")
	if c := f.bookTicket(evening, "carol", "B2"); len(c.Seats) != 0 {
		t.Errorf("booking a held seat again changed %s", changeString(c))
	}
	f.wantTicket(evening, "carol", time.Time{}, "B2")
}

// Releasing every seat makes the ticket unfindable; booking again brings
// the same code back, with the new seats. An admission outlives the
// seats: the operator may free them, and the guest still cannot book.
func testTicketReleaseAll(t *testing.T, f *fixture) {
	f.bookTicket(evening, "alice", "A1", "A2")
	f.release(evening, alice, "A1")
	f.wantTicket(evening, "alice", time.Time{}, "A2")
	f.release(evening, alice, "A2")
	_, err := f.store.Ticket(f.ctx, ticketOf(evening, "alice"))
	wantError(t, err, boxoffice.ErrNotFound, "Ticket after releasing every seat")
	_, _, err = f.store.Admit(f.ctx, ticketOf(evening, "alice"), t0)
	wantError(t, err, boxoffice.ErrNotFound, "Admit after releasing every seat")
	f.bookTicket(evening, "alice", "C4")
	f.wantTicket(evening, "alice", time.Time{}, "C4")

	tk, first, err := f.store.Admit(f.ctx, ticketOf(evening, "alice"), t0)
	if err != nil || !first {
		t.Fatalf("Admit = %v, %v; want the first admission", first, err)
	}
	f.checkTicket(tk, evening, "alice", t0, "C4")
	if _, err := f.store.ReleaseGuest(f.ctx, evening, alice); err != nil {
		t.Fatalf("ReleaseGuest of an admitted guest = %v", err)
	}
	_, err = f.store.Ticket(f.ctx, ticketOf(evening, "alice"))
	wantError(t, err, boxoffice.ErrNotFound, "Ticket of an admitted guest whose seats the operator freed")
	_, err = f.store.Book(f.ctx, evening, seats("C4"), alice, ticketOf(evening, "alice"), 0)
	wantError(t, err, boxoffice.ErrAdmitted, "Book by an admitted guest without seats")
}

// Of 50 admissions of one ticket at once, exactly one is first; every
// other answers with the first one's time, and so does the ticket after.
func testAdmitConcurrent(t *testing.T, f *fixture) {
	f.bookTicket(evening, "alice", "B2", "B3")
	const n = 50
	type answer struct {
		tk    boxoffice.Ticket
		first bool
		err   error
		at    time.Time
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range answers {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			a := &answers[i]
			a.at = t0.Add(time.Duration(i) * time.Second)
			a.tk, a.first, a.err = f.store.Admit(f.ctx, ticketOf(evening, "alice"), a.at)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	var firsts []answer
	for _, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("Admit at %v = %v", a.at, a.err)
		case a.first:
			firsts = append(firsts, a)
		}
	}
	if len(firsts) != 1 {
		t.Fatalf("%d admissions were first, want exactly 1", len(firsts))
	}
	when := firsts[0].at
	for _, a := range answers {
		if a.err == nil {
			f.checkTicket(a.tk, evening, "alice", when, "B2", "B3")
		}
	}
	f.wantTicket(evening, "alice", when, "B2", "B3")
}

// The door admits a ticket from 12 hours before its show to 6 hours after,
// bounds included; outside, it refuses and stores nothing, and once
// admitted a ticket answers at any time with its admission.
func testAdmitWindow(t *testing.T, f *fixture) {
	f.bookTicket(evening, "alice", "A1")
	before := f.state(evening)
	starts := t0.Add(3 * time.Hour)
	hash := ticketOf(evening, "alice")
	for _, at := range []time.Time{
		starts.Add(-boxoffice.AdmitFrom - time.Second),
		starts.Add(boxoffice.AdmitUntil + time.Second),
		starts.Add(-7 * 24 * time.Hour),
	} {
		_, _, err := f.store.Admit(f.ctx, hash, at)
		wantError(t, err, boxoffice.ErrWrongDay, fmt.Sprintf("Admit %v from the start", at.Sub(starts)))
	}
	f.wantTicket(evening, "alice", time.Time{}, "A1")

	at := starts.Add(-boxoffice.AdmitFrom)
	if tk, first, err := f.store.Admit(f.ctx, hash, at); err != nil || !first || !tk.AdmittedAt.Equal(at) {
		t.Fatalf("Admit 12 hours before = admitted at %v, first %v, %v; want first at %v", tk.AdmittedAt, first, err, at)
	}
	for _, later := range []time.Time{starts, starts.Add(48 * time.Hour)} {
		if tk, first, err := f.store.Admit(f.ctx, hash, later); err != nil || first || !tk.AdmittedAt.Equal(at) {
			t.Errorf("Admit again at %v = admitted at %v, first %v, %v; want the first admission's time", later, tk.AdmittedAt, first, err)
		}
	}
	f.unchanged(evening, before, "admissions")

	// Any other ticket of the show is let in up to 6 hours after.
	f.bookTicket(evening, "bob", "A2")
	at = starts.Add(boxoffice.AdmitUntil)
	if _, first, err := f.store.Admit(f.ctx, ticketOf(evening, "bob"), at); err != nil || !first {
		t.Errorf("Admit 6 hours after = first %v, %v; want the first admission", first, err)
	}
}

// An admitted guest can neither book nor release in the show, refused
// after the show's own checks and before any seat's; other guests go on,
// and the operator may still free the admitted guest's seats.
func testAdmittedLocks(t *testing.T, f *fixture) {
	f.bookTicket(gala, "alice", "A1", "A2")
	f.bookTicket(gala, "bob", "A3")
	if _, _, err := f.store.Admit(f.ctx, ticketOf(gala, "alice"), t0); err != nil {
		t.Fatal(err)
	}
	before := f.state(gala)
	for what, ids := range map[string][]string{
		"a free seat":               {"A4"},
		"a seat it holds":           {"A1"},
		"another guest's seat":      {"A3"},
		"a free seat and its own":   {"A4", "A1"},
		"a free seat and another's": {"A4", "A3"},
	} {
		_, err := f.store.Book(f.ctx, gala, seats(ids...), alice, ticketOf(gala, "alice"), 0)
		wantError(t, err, boxoffice.ErrAdmitted, "admitted guest books "+what)
		_, err = f.store.Book(f.ctx, gala, seats(ids...), alice, ticketOf(gala, "alice"), 1)
		wantError(t, err, boxoffice.ErrAdmitted, "admitted guest at its cap books "+what)
		_, err = f.store.Release(f.ctx, gala, seats(ids...), alice)
		wantError(t, err, boxoffice.ErrAdmitted, "admitted guest releases "+what)
	}
	_, err := f.store.Book(f.ctx, gala, seats("A4", "Z9"), alice, ticketOf(gala, "alice"), 0)
	wantError(t, err, boxoffice.ErrNotFound, "admitted guest books a seat the hall lacks", "Z9")
	f.unchanged(gala, before, "an admitted guest's refused bookings and releases")

	f.bookTicket(gala, "bob", "A4")
	f.release(gala, bob, "A3")
	f.wantTicket(gala, "alice", t0, "A1", "A2")

	c, err := f.store.ReleaseSeats(f.ctx, gala, seats("A2"))
	if err != nil || len(c.Seats) != 1 || c.Seats[0].By != alice {
		t.Errorf("ReleaseSeats of an admitted guest's seat = %s, %v; want A2 freed", changeString(c), err)
	}
	f.wantTicket(gala, "alice", t0, "A1")
	if c, err := f.store.ReleaseGuest(f.ctx, gala, alice); err != nil || len(c.Seats) != 1 {
		t.Errorf("ReleaseGuest of an admitted guest = %s, %v; want A1 freed", changeString(c), err)
	}

	// Sales closed come first.
	f.bookTicket(evening, "carol", "A1")
	if _, _, err := f.store.Admit(f.ctx, ticketOf(evening, "carol"), t0); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(3 * time.Hour))
	_, err = f.store.Book(f.ctx, evening, seats("A2"), carol, ticketOf(evening, "carol"), 0)
	wantError(t, err, boxoffice.ErrClosed, "admitted guest books once the show started")
	_, err = f.store.Release(f.ctx, evening, seats("A1"), carol)
	wantError(t, err, boxoffice.ErrClosed, "admitted guest releases once the show started")
}

// A cancelled show's tickets say so, with seats or without (a forced
// cancellation frees them all), to the guest and at the door.
func testTicketCancelled(t *testing.T, f *fixture) {
	f.bookTicket(evening, "alice", "A1")
	f.bookTicket(evening, "bob", "A2")
	f.release(evening, bob, "A2")
	if _, err := f.store.CancelShow(f.ctx, evening, true); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		_, err := f.store.Ticket(f.ctx, ticketOf(evening, name))
		wantError(t, err, boxoffice.ErrCancelled, "Ticket of a cancelled show, "+name+"'s")
		_, _, err = f.store.Admit(f.ctx, ticketOf(evening, name), t0)
		wantError(t, err, boxoffice.ErrCancelled, "Admit to a cancelled show, "+name+"'s")
	}
	_, err := f.store.Ticket(f.ctx, ticketOf(evening, "carol"))
	wantError(t, err, boxoffice.ErrNotFound, "Ticket nobody had for a cancelled show")
}

// The door list says which guests were admitted, and when.
func testTicketDoorList(t *testing.T, f *fixture) {
	f.bookTicket(gala, "alice", "A2", "A1")
	f.bookTicket(gala, "bob", "B1")
	f.book(gala, carol, "A3")
	at := t0.Add(-time.Hour)
	if _, _, err := f.store.Admit(f.ctx, ticketOf(gala, "alice"), at); err != nil {
		t.Fatal(err)
	}
	list, err := f.store.Bookings(f.ctx, gala)
	if err != nil {
		t.Fatal(err)
	}
	want := map[boxoffice.SeatID]time.Time{"A1": at, "A2": at, "A3": {}, "B1": {}}
	if len(list) != len(want) {
		t.Errorf("door list = %s, want A1 A2 A3 B1", bookingsString(list))
	}
	for _, b := range list {
		if w, ok := want[b.Seat]; !ok || !b.AdmittedAt.Equal(w) {
			t.Errorf("door list: %s (%s) admitted at %v, want %v", b.Seat, who(b.Guest), b.AdmittedAt, w)
		}
	}
}

// Forgetting a show's history deletes its tickets: the seats stay held by
// nobody, and no code leads to a guest any more.
func testTicketForgotten(t *testing.T, f *fixture) {
	f.bookTicket(matinee, "alice", "A1") // t0+1h
	f.bookTicket(evening, "alice", "A1") // t0+3h: kept
	if _, _, err := f.store.Admit(f.ctx, ticketOf(matinee, "alice"), t0); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.ForgetHistory(f.ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("ForgetHistory = %d, %v; want the matinee forgotten", n, err)
	}
	_, err := f.store.Ticket(f.ctx, ticketOf(matinee, "alice"))
	wantError(t, err, boxoffice.ErrNotFound, "Ticket of a forgotten show")
	list, err := f.store.Bookings(f.ctx, matinee)
	if err != nil || len(list) != 1 || list[0].Guest != boxoffice.ForgottenGuest || !list[0].AdmittedAt.IsZero() {
		t.Errorf("door list of a forgotten show = %s, %v; want A1 held by nobody, not admitted", bookingsString(list), err)
	}
	f.wantTicket(evening, "alice", time.Time{}, "A1")
	if n, err := f.store.ForgetHistory(f.ctx, t0.Add(2*time.Hour)); err != nil || n != 0 {
		t.Errorf("ForgetHistory again = %d, %v; want nothing left to forget", n, err)
	}
}

// Guests booking at once, each from several goroutines, all get their
// tickets, one each, with all their seats.
func testTicketsConcurrent(t *testing.T, f *fixture) {
	const guests = 8 // three seats each: the wide hall's 24
	all := f.prog.Halls[1].Layout.Seats
	errs := make(chan error, 3*guests)
	for g := range guests {
		for i := range 3 {
			go func() {
				seat := all[3*g+i].ID
				name := fmt.Sprintf("crowd%d", g)
				_, err := f.store.Book(f.ctx, gala, []boxoffice.SeatID{seat}, guest(name), ticketOf(gala, name), 0)
				errs <- err
			}()
		}
	}
	for range 3 * guests {
		if err := <-errs; err != nil {
			t.Errorf("Book = %v", err)
		}
	}
	for g := range guests {
		var ids []string
		for i := range 3 {
			ids = append(ids, string(all[3*g+i].ID))
		}
		f.wantTicket(gala, fmt.Sprintf("crowd%d", g), time.Time{}, ids...)
	}
}

// errorIs reports whether err has the code of one of targets.
func errorIs(err error, targets ...*boxoffice.Error) bool {
	return slices.ContainsFunc(targets, func(e *boxoffice.Error) bool { return errors.Is(err, e) })
}
