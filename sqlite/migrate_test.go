package sqlite

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"boxoffice"
)

// A database written by an older binary, at migration 0001 with bookings and
// changes in it, keeps every booking and change when this binary upgrades
// it, and takes new bookings after.
func TestUpgradeKeepsBookings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	init, err := migrationFiles.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	starts := time.Now().Add(48 * time.Hour).UnixMilli()
	g := boxoffice.GuestFromToken
	for _, q := range []string{
		`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`,
		string(init),
		`INSERT INTO schema_migrations VALUES ('0001_init.sql', 0)`,
		`INSERT INTO halls VALUES ('h', 'Hall', 'A sss')`,
		`INSERT INTO shows VALUES ('s', 'Film', ` + fmtInt(starts) + `, 'h', 3)`,
		`INSERT INTO bookings VALUES ('s', 'A1', '` + string(g("ann")) + `', 1, 1000), ('s', 'A3', '` + string(g("bo")) + `', 3, 3000)`,
		`INSERT INTO changes VALUES ('s', 1, 0, 'A1', 'booked', '` + string(g("ann")) + `', '` + string(g("ann")) + `', 1000),
			('s', 2, 0, 'A2', 'booked', '` + string(g("bo")) + `', '` + string(g("bo")) + `', 2000),
			('s', 3, 0, 'A2', 'free', NULL, '` + string(g("bo")) + `', 3000),
			('s', 3, 1, 'A3', 'booked', '` + string(g("bo")) + `', '` + string(g("bo")) + `', 3000)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, path, Options{})
	m, err := s.SeatMap(t.Context(), "s")
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 3 || len(m.Holders) != 2 || m.Holders["A1"] != g("ann") || m.Holders["A3"] != g("bo") {
		t.Errorf("after the upgrade: version %d, holders %v; want 3, A1 ann's and A3 bo's", m.Version, m.Holders)
	}
	cs, err := s.ChangesSince(t.Context(), "s", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 || len(cs[2].Seats) != 2 || cs[2].Seats[0].Seat != "A2" || cs[2].Seats[0].Holder != "" || cs[2].Seats[1].Seat != "A3" {
		t.Errorf("changes after the upgrade = %+v, want versions 1 to 3, the last freeing A2 and booking A3", cs)
	}
	if _, err := s.Book(t.Context(), "s", []boxoffice.SeatID{"A3"}, g("cy"), "", 0); boxoffice.ErrorCode(err) != boxoffice.ETAKEN {
		t.Errorf("booking bo's A3 after the upgrade = %v, want taken", err)
	}
	if c, err := s.Book(t.Context(), "s", []boxoffice.SeatID{"A2"}, g("cy"), "", 0); err != nil || c.Version != 4 {
		t.Errorf("booking A2 after the upgrade = version %d, %v; want 4", c.Version, err)
	}
	// A guest who booked before tickets existed gets one with its next
	// booking, even of a seat it holds.
	ann := boxoffice.TicketCodeFor("s", "ann").Hash()
	if _, err := s.Ticket(t.Context(), ann); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		t.Errorf("ticket of a guest who booked before the upgrade = %v, want not found", err)
	}
	if _, err := s.Book(t.Context(), "s", []boxoffice.SeatID{"A1"}, g("ann"), ann, 0); err != nil {
		t.Fatal(err)
	}
	if tk, err := s.Ticket(t.Context(), ann); err != nil || len(tk.Seats) != 1 || tk.Seats[0] != "A1" || tk.Guest != g("ann") {
		t.Errorf("ticket of ann after booking A1 again = %+v, %v; want A1", tk, err)
	}
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
