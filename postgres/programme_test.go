package postgres

import (
	"errors"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// Two instances on one database: what one changes of the programme, the
// other shows at once and books against, though it had the show cached.
func TestInstancesSeeProgrammeChanges(t *testing.T) {
	url := pgtest.Database(t)
	open := func() *Store {
		s, err := Open(t.Context(), url, Options{PoolSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	layout, err := boxoffice.ParseLayout("A ssss\nB ssss\n")
	if err != nil {
		t.Fatal(err)
	}
	hall := boxoffice.Hall{ID: "h", Name: "Hall", Layout: layout}
	show := boxoffice.Show{ID: "s", Title: "Before", StartsAt: time.Now().Add(48 * time.Hour).Truncate(time.Second), Hall: hall}
	if ok, err := a.Seed(t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{hall}, Shows: []boxoffice.Show{show}}); !ok || err != nil {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	guest := boxoffice.GuestFromToken("guest")
	if _, err := b.Book(t.Context(), "s", []boxoffice.SeatID{"A1"}, guest, "", 0); err != nil { // b caches the show
		t.Fatal(err)
	}

	changed := show
	changed.Title, changed.StartsAt, changed.Sales = "After", show.StartsAt.Add(time.Hour), boxoffice.SalesClosed
	if _, err := a.ApplyProgramme(t.Context(), boxoffice.Programme{Shows: []boxoffice.Show{changed}}, false); err != nil {
		t.Fatal(err)
	}
	got, err := b.Show(t.Context(), "s")
	if err != nil || got.Title != "After" || !got.StartsAt.Equal(changed.StartsAt) || got.SalesState() != boxoffice.SalesClosed {
		t.Errorf("the other instance's Show = %q %v %s, %v; want the change", got.Title, got.StartsAt, got.SalesState(), err)
	}
	if m, err := b.SeatMap(t.Context(), "s"); err != nil || m.Show.Title != "After" {
		t.Errorf("the other instance's SeatMap shows %q, %v", m.Show.Title, err)
	}
	if list, err := b.Shows(t.Context()); err != nil || len(list) != 1 || list[0].Title != "After" {
		t.Errorf("the other instance's Shows = %v, %v", list, err)
	}

	// b's cache of the show, as its booking path uses it, is still the
	// open one: the batch must see the change under the show's lock.
	b.mu.Lock()
	b.shows["s"] = cachedShow{show: show, revision: 0}
	b.mu.Unlock()
	if _, err := b.Book(t.Context(), "s", []boxoffice.SeatID{"A2"}, guest, "", 0); !errors.Is(err, boxoffice.ErrClosed) {
		t.Errorf("booking on the other instance after sales closed = %v, want closed", err)
	}

	// A row goes; b, had it cached, must not book a seat of it.
	changed.Sales = boxoffice.SalesOpen
	cut, err := boxoffice.ParseLayout("A ssss\n")
	if err != nil {
		t.Fatal(err)
	}
	changed.Hall = boxoffice.Hall{ID: "h", Name: "Hall", Layout: cut}
	if _, err := a.ApplyProgramme(t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{changed.Hall}, Shows: []boxoffice.Show{changed}}, false); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.shows["s"] = cachedShow{show: show, revision: 0}
	b.mu.Unlock()
	if _, err := b.Book(t.Context(), "s", []boxoffice.SeatID{"B1"}, guest, "", 0); !errors.Is(err, boxoffice.ErrNotFound) {
		t.Errorf("booking a seat the new layout lacks = %v, want not found", err)
	}
	if _, err := b.Book(t.Context(), "s", []boxoffice.SeatID{"A3"}, guest, "", 0); err != nil {
		t.Errorf("booking after the change = %v", err)
	}
}
