package postgres

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// doorShow seeds, through s, a hall and a show an hour from now, whose
// door is open.
func doorShow(t *testing.T, s *Store) boxoffice.Show {
	t.Helper()
	l, err := boxoffice.ParseLayout("A ssss\nB ssss\n")
	if err != nil {
		t.Fatal(err)
	}
	hall := boxoffice.Hall{ID: "h", Name: "Hall", Layout: l}
	show := boxoffice.Show{ID: "door", Title: "Door", StartsAt: time.Now().Add(time.Hour).Truncate(time.Second), Hall: hall}
	if ok, err := s.Seed(t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{hall}, Shows: []boxoffice.Show{show}}); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	return show
}

// Two instances on one database admit one ticket 50 times at once, half
// each: exactly one admission is first, and every answer, on both, has its
// time. The admission holds on the other instance (the guest's seats are
// fixed there too) and on a store opened afresh, as after a restart.
func TestTwoInstancesAdmit(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openTest(t, url, Options{}), openTest(t, url, Options{})
	show := doorShow(t, a)
	const token = "door-guest"
	g, hash := boxoffice.GuestFromToken(token), boxoffice.TicketCodeFor(show.ID, token).Hash()
	if _, err := a.Book(t.Context(), show.ID, []boxoffice.SeatID{"B2", "A3"}, g, hash, 0); err != nil {
		t.Fatal(err)
	}

	const n = 50
	type answer struct {
		t     boxoffice.Ticket
		first bool
		err   error
		at    time.Time
	}
	var (
		answers = make([]answer, n)
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	base := time.Now().Truncate(time.Second)
	for i := range answers {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			<-start
			r := &answers[i]
			r.at = base.Add(time.Duration(i) * time.Second)
			r.t, r.first, r.err = s.Admit(t.Context(), hash, r.at)
		})
	}
	close(start)
	wg.Wait()
	var first []answer
	for i, r := range answers {
		switch {
		case r.err != nil:
			t.Errorf("Admit %d = %v", i, r.err)
		case r.first:
			first = append(first, r)
		}
	}
	if len(first) != 1 {
		t.Fatalf("%d admissions were first across two instances, want exactly 1", len(first))
	}
	when := first[0].at
	for i, r := range answers {
		if r.err == nil && (!r.t.AdmittedAt.Equal(when) || fmt.Sprint(r.t.Seats) != "[A3 B2]") {
			t.Errorf("Admit %d = admitted at %v with %v; want %v with [A3 B2]", i, r.t.AdmittedAt, r.t.Seats, when)
		}
	}

	for name, s := range map[string]*Store{"the other instance": b, "a store opened afresh": openTest(t, url, Options{})} {
		tk, err := s.Ticket(t.Context(), hash)
		if err != nil || !tk.AdmittedAt.Equal(when) {
			t.Errorf("Ticket on %s = admitted at %v, %v; want %v", name, tk.AdmittedAt, err, when)
		}
		if _, err := s.Book(t.Context(), show.ID, []boxoffice.SeatID{"A4"}, g, hash, 0); !errors.Is(err, boxoffice.ErrAdmitted) {
			t.Errorf("Book on %s = %v, want ErrAdmitted", name, err)
		}
		if _, err := s.Release(t.Context(), show.ID, []boxoffice.SeatID{"A3"}, g); !errors.Is(err, boxoffice.ErrAdmitted) {
			t.Errorf("Release on %s = %v, want ErrAdmitted", name, err)
		}
		if _, first, err := s.Admit(t.Context(), hash, time.Now()); err != nil || first {
			t.Errorf("Admit on %s = first %v, %v; want already admitted", name, first, err)
		}
	}
}

// A database made before tickets existed upgrades: its bookings stay, and a
// guest who booked then gets a ticket with its next booking.
func TestUpgradeGivesTickets(t *testing.T) {
	url := pgtest.Database(t)
	conn := pgtest.Connect(t, url)
	if _, err := conn.Exec(t.Context(), `CREATE TABLE schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0001_init.sql", "0002_log_floor.sql", "0003_programme.sql", "0004_admin_sessions.sql"} {
		src, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(t.Context(), string(src)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
			t.Fatal(err)
		}
	}
	ann := boxoffice.GuestFromToken("ann")
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO halls VALUES ('h', 'Hall', 'A sss')`, nil},
		{`INSERT INTO shows (id, title, starts_at, hall_id, version) VALUES ('s', 'Film', $1, 'h', 1)`, []any{time.Now().Add(time.Hour)}},
		{`INSERT INTO bookings VALUES ('s', 'A1', $1, now())`, []any{ann}},
		{`INSERT INTO changes VALUES ('s', 1, 0, 'A1', $1, $1, now())`, []any{ann}},
	} {
		if _, err := conn.Exec(t.Context(), q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	s := openTest(t, url, Options{})
	hash := boxoffice.TicketCodeFor("s", "ann").Hash()
	if _, err := s.Ticket(t.Context(), hash); !errors.Is(err, boxoffice.ErrNotFound) {
		t.Errorf("ticket of a guest who booked before the upgrade = %v, want not found", err)
	}
	if c, err := s.Book(t.Context(), "s", []boxoffice.SeatID{"A1"}, ann, hash, 0); err != nil || len(c.Seats) != 0 {
		t.Fatalf("booking a held seat again after the upgrade = %+v, %v; want no change", c, err)
	}
	if tk, err := s.Ticket(t.Context(), hash); err != nil || fmt.Sprint(tk.Seats) != "[A1]" || tk.Guest != ann {
		t.Errorf("ticket after booking again = %+v, %v; want ann's A1", tk, err)
	}
}
