package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"boxoffice"
)

// A second Seed finds the programme there and leaves it alone, even when
// handed a different one.
func testSeed(t *testing.T, f *fixture) {
	before, err := f.store.Shows(f.ctx)
	if err != nil {
		t.Fatalf("Shows = %v", err)
	}
	other := programme(t)
	other.Shows = append(other.Shows, boxoffice.Show{ID: "extra", Title: "Extra", StartsAt: t0.Add(5 * time.Hour), Hall: other.Halls[0]})
	other.Shows[0].Title = "Renamed"
	seeded, err := f.store.Seed(f.ctx, other)
	if err != nil || seeded {
		t.Fatalf("second Seed = %v, %v; want false, nil", seeded, err)
	}
	after, err := f.store.Shows(f.ctx)
	if err != nil {
		t.Fatalf("Shows = %v", err)
	}
	if got, want := summaries(after), summaries(before); !slices.Equal(got, want) {
		t.Errorf("second Seed changed the programme:\n got %v\nwant %v", got, want)
	}
	if _, err := f.store.Show(f.ctx, "extra"); !isNotFound(err) {
		t.Errorf("Show(extra) after the refused Seed = %v, want not found", err)
	}
	if err := f.store.Ping(f.ctx); err != nil {
		t.Errorf("Ping = %v", err)
	}
}

// Shows lists every show by start time, with how many seats are held.
func testShows(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1", "A2")
	f.book(evening, bob, "B1")
	f.book(gala, carol, "B1")
	f.release(evening, alice, "A2")

	list, err := f.store.Shows(f.ctx)
	if err != nil {
		t.Fatalf("Shows = %v", err)
	}
	want := []string{
		"started Already Running small booked=0 left=12",
		"matinee Matinee small booked=0 left=12",
		"gala Gala Night wide booked=1 left=23",
		"evening Evening Show small booked=2 left=10",
	}
	if got := summaries(list); !slices.Equal(got, want) {
		t.Errorf("Shows =\n%q\nwant\n%q", got, want)
	}
	for _, s := range list {
		if s.Hall.Name == "" || len(s.Hall.Layout.Seats) == 0 {
			t.Errorf("Shows: %s has no hall layout: %+v", s.ID, s.Hall)
		}
	}
}

// Show returns what Seed stored: the start instant and the hall's layout,
// read back seat for seat.
func testShowRoundTrip(t *testing.T, f *fixture) {
	for _, want := range f.prog.Shows {
		got, err := f.store.Show(f.ctx, want.ID)
		if err != nil {
			t.Errorf("Show(%s) = %v", want.ID, err)
			continue
		}
		if got.ID != want.ID || got.Title != want.Title || !got.StartsAt.Equal(want.StartsAt) {
			t.Errorf("Show(%s) = %s %q at %v, want %s %q at %v", want.ID,
				got.ID, got.Title, got.StartsAt, want.ID, want.Title, want.StartsAt)
		}
		if got.Hall.ID != want.Hall.ID || got.Hall.Name != want.Hall.Name {
			t.Errorf("Show(%s) hall = %s %q, want %s %q", want.ID, got.Hall.ID, got.Hall.Name, want.Hall.ID, want.Hall.Name)
		}
		gl, wl := got.Hall.Layout, want.Hall.Layout
		if !reflect.DeepEqual(gl.Seats, wl.Seats) || gl.Columns != wl.Columns || gl.Height != wl.Height ||
			!slices.Equal(gl.Aisles, wl.Aisles) || len(gl.Rows) != len(wl.Rows) {
			t.Errorf("Show(%s) layout does not match the one seeded:\n got %+v\nwant %+v", want.ID, gl.Seats, wl.Seats)
		}
		if !gl.Has("A1") {
			t.Errorf("Show(%s) layout cannot look seats up", want.ID)
		}
	}

	m, err := f.store.SeatMap(f.ctx, evening)
	if err != nil {
		t.Fatalf("SeatMap = %v", err)
	}
	if m.Version != 0 || len(m.Holders) != 0 || m.Show.ID != evening || len(m.Show.Hall.Layout.Seats) != 12 {
		t.Errorf("SeatMap of a new show = version %d, holders %s, show %s with %d seats; want 0, none, evening, 12",
			m.Version, holdersString(m.Holders), m.Show.ID, len(m.Show.Hall.Layout.Seats))
	}
	log, err := f.store.ChangesSince(f.ctx, evening, 0, 10)
	if err != nil || len(log) != 0 {
		t.Errorf("ChangesSince of a new show = %v, %v; want none", log, err)
	}
}

func testUnknownShow(t *testing.T, f *fixture) {
	for _, id := range []boxoffice.ShowID{"nope", "", "Evening", "evening "} {
		_, err := f.store.Show(f.ctx, id)
		wantError(t, err, boxoffice.ErrNotFound, "Show("+string(id)+")")
		_, err = f.store.SeatMap(f.ctx, id)
		wantError(t, err, boxoffice.ErrNotFound, "SeatMap("+string(id)+")")
		_, err = f.store.Book(f.ctx, id, seats("A1"), alice, "", 0)
		wantError(t, err, boxoffice.ErrNotFound, "Book("+string(id)+")")
		_, err = f.store.Release(f.ctx, id, seats("A1"), alice)
		wantError(t, err, boxoffice.ErrNotFound, "Release("+string(id)+")")
		_, err = f.store.ChangesSince(f.ctx, id, 0, 10)
		wantError(t, err, boxoffice.ErrNotFound, "ChangesSince("+string(id)+")")
	}
}

func isNotFound(err error) bool { return boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND }

// summaries renders shows for comparison.
func summaries(list []boxoffice.ShowSummary) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%s %s %s booked=%d left=%d", s.ID, s.Title, s.Hall.ID, s.Booked, s.SeatsLeft())
	}
	return out
}
