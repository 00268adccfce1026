package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"boxoffice"
)

// hallOf returns a hall with its layout parsed from src.
func hallOf(t *testing.T, id, name, src string) boxoffice.Hall {
	t.Helper()
	l, err := boxoffice.ParseLayout(src)
	if err != nil {
		t.Fatalf("layout of %s: %v", id, err)
	}
	return boxoffice.Hall{ID: boxoffice.HallID(id), Name: name, Layout: l}
}

// stored returns the store's programme, failing the test if it cannot.
func (f *fixture) stored() boxoffice.Programme {
	f.t.Helper()
	p, err := f.store.Programme(f.ctx)
	if err != nil {
		f.t.Fatalf("Programme = %v", err)
	}
	return p
}

// showOf returns the stored programme's show id.
func (f *fixture) showOf(id boxoffice.ShowID) boxoffice.Show {
	f.t.Helper()
	for _, sh := range f.stored().Shows {
		if sh.ID == id {
			return sh
		}
	}
	f.t.Fatalf("Programme lacks show %s", id)
	return boxoffice.Show{}
}

// apply applies p and fails the test unless it succeeds.
func (f *fixture) apply(p boxoffice.Programme) boxoffice.ProgrammeReport {
	f.t.Helper()
	r, err := f.store.ApplyProgramme(f.ctx, p, false)
	if err != nil {
		f.t.Fatalf("ApplyProgramme = %v", err)
	}
	return r
}

// programmeString renders a programme for comparison: every value a store
// keeps, starts as UTC instants.
func programmeString(p boxoffice.Programme) string {
	var b strings.Builder
	for _, h := range p.Halls {
		fmt.Fprintf(&b, "hall %s %q %q\n", h.ID, h.Name, h.Layout.Source)
	}
	for _, sh := range p.Shows {
		capText := "server"
		if sh.MaxSeatsPerGuest != nil {
			capText = fmt.Sprint(*sh.MaxSeatsPerGuest)
		}
		fmt.Fprintf(&b, "show %s %q %s hall=%s/%s seats=%d %s cap=%s\n", sh.ID, sh.Title, sh.StartsAt.UTC().Format(time.RFC3339),
			sh.Hall.ID, sh.Hall.Name, len(sh.Hall.Layout.Seats), sh.SalesState(), capText)
	}
	return b.String()
}

func reportString(r boxoffice.ProgrammeReport) string {
	return fmt.Sprintf("added=%v changed=%v unchanged=%v", r.Added, r.Changed, r.Unchanged)
}

func wantReport(t *testing.T, got boxoffice.ProgrammeReport, added, changed, unchanged []string) {
	t.Helper()
	want := boxoffice.ProgrammeReport{Added: added, Changed: changed, Unchanged: unchanged}
	if reportString(got) != reportString(want) {
		t.Errorf("report\n got %s\nwant %s", reportString(got), reportString(want))
	}
}

// The programme comes back whole, halls by id, shows by start then id,
// each with its hall; applied again it changes nothing.
func testProgrammeExport(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	p := f.stored()
	want := `hall small "Small" "A ssss\nB ssss\nC ssss\n"
hall wide "Wide" "# wide hall\nA ssssss.ssssss\n-\nB wcssss.sssscw\n"
show started "Already Running" 2031-03-14T16:30:00Z hall=small/Small seats=12 open cap=server
show matinee "Matinee" 2031-03-14T18:00:00Z hall=small/Small seats=12 open cap=server
show gala "Gala Night" 2031-03-14T19:00:00Z hall=wide/Wide seats=24 open cap=server
show evening "Evening Show" 2031-03-14T20:00:00Z hall=small/Small seats=12 open cap=server
`
	if got := programmeString(p); got != want {
		t.Errorf("Programme =\n%s\nwant\n%s", got, want)
	}
	before := f.state(evening)
	r := f.apply(p)
	wantReport(t, r, nil, nil, []string{"hall:small", "hall:wide", "show:started", "show:matinee", "show:gala", "show:evening"})
	f.unchanged(evening, before, "applying the exported programme")
}

// Adding, renaming, moving, closing and reopening: each changed show gets
// one new version and a programme change, and every reader sees it at once.
func testProgrammeChanges(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	if _, err := f.store.Show(f.ctx, evening); err != nil { // cached from here on
		t.Fatal(err)
	}
	before := f.state(evening)
	small := f.prog.Halls[0]
	five := 5
	p := boxoffice.Programme{
		Halls: []boxoffice.Hall{hallOf(t, "new", "New Hall", "A ss\n")},
		Shows: []boxoffice.Show{
			{ID: evening, Title: "Evening, Renamed", StartsAt: t0.Add(4 * time.Hour), Hall: small, Sales: boxoffice.SalesClosed, MaxSeatsPerGuest: &five},
			{ID: "late", Title: "Late", StartsAt: t0.Add(6 * time.Hour), Hall: boxoffice.Hall{ID: "new"}},
			{ID: gala, Title: "Gala Night", StartsAt: t0.Add(2 * time.Hour).In(time.UTC), Hall: boxoffice.Hall{ID: "wide"}},
		},
	}
	r := f.apply(p)
	wantReport(t, r, []string{"hall:new", "show:late"}, []string{"show:evening"}, []string{"show:gala"})

	after := f.state(evening)
	if after.Version != before.Version+1 {
		t.Errorf("version %d → %d, want one more", before.Version, after.Version)
	}
	if !maps.Equal(after.Holders, before.Holders) {
		t.Errorf("holders went %s → %s", holdersString(before.Holders), holdersString(after.Holders))
	}
	last := after.Log[len(after.Log)-1]
	if !last.Programme || last.Version != after.Version || len(last.Seats) != 0 || !last.At.Equal(t0) {
		t.Errorf("last change = %+v, want a programme change at version %d, %v, no seats", last, after.Version, t0)
	}
	for name, read := range map[string]func() (boxoffice.Show, error){
		"Show":    func() (boxoffice.Show, error) { return f.store.Show(f.ctx, evening) },
		"SeatMap": func() (boxoffice.Show, error) { m, err := f.store.SeatMap(f.ctx, evening); return m.Show, err },
	} {
		sh, err := read()
		if err != nil {
			t.Fatalf("%s = %v", name, err)
		}
		if sh.Title != "Evening, Renamed" || !sh.StartsAt.Equal(t0.Add(4*time.Hour)) || sh.SalesState() != boxoffice.SalesClosed ||
			sh.MaxSeatsPerGuest == nil || *sh.MaxSeatsPerGuest != 5 {
			t.Errorf("%s after the change = %q %v %s %v", name, sh.Title, sh.StartsAt, sh.SalesState(), sh.MaxSeatsPerGuest)
		}
	}
	if v := f.state(gala).Version; v != 0 {
		t.Errorf("unchanged gala is at version %d, want 0", v)
	}
	late, err := f.store.Show(f.ctx, "late")
	if err != nil || late.Hall.Name != "New Hall" || len(late.Hall.Layout.Seats) != 2 {
		t.Errorf("Show(late) = %+v, %v", late, err)
	}
	list, err := f.store.Shows(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := summaries(list); !slices.Contains(got, "late Late new booked=0 left=2") {
		t.Errorf("Shows = %q, want the new show listed", got)
	}

	// Reopening, and a hall's new name, reach the show too.
	p.Shows[0].Sales = boxoffice.SalesOpen
	r = f.apply(boxoffice.Programme{Halls: []boxoffice.Hall{hallOf(t, "small", "Small Renamed", smallLayout)}, Shows: p.Shows[:1]})
	wantReport(t, r, nil, []string{"hall:small", "show:evening"}, nil)
	if v := f.state(evening).Version; v != after.Version+1 {
		t.Errorf("version after reopening %d, want %d", v, after.Version+1)
	}
	if v := f.state(matinee).Version; v != 1 {
		t.Errorf("matinee, in the renamed hall, at version %d, want 1", v)
	}
	if sh, err := f.store.Show(f.ctx, matinee); err != nil || sh.Hall.Name != "Small Renamed" {
		t.Errorf("Show(matinee).Hall.Name = %q, %v", sh.Hall.Name, err)
	}
	f.book(evening, bob, "B1")
}

// A dry run reports what a real run would, and changes nothing.
func testProgrammeDryRun(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	before, prog := f.state(evening), programmeString(f.stored())
	p := boxoffice.Programme{
		Halls: []boxoffice.Hall{hallOf(t, "new", "New", "A s\n")},
		Shows: []boxoffice.Show{{ID: evening, Title: "Other", StartsAt: t0.Add(3 * time.Hour), Hall: f.prog.Halls[0]}},
	}
	dry, err := f.store.ApplyProgramme(f.ctx, p, true)
	if err != nil {
		t.Fatalf("dry ApplyProgramme = %v", err)
	}
	f.unchanged(evening, before, "dry run")
	if got := programmeString(f.stored()); got != prog {
		t.Errorf("dry run changed the programme:\n%s", got)
	}
	if sh, _ := f.store.Show(f.ctx, evening); sh.Title != "Evening Show" {
		t.Errorf("dry run renamed the show to %q", sh.Title)
	}
	real := f.apply(p)
	if reportString(dry) != reportString(real) {
		t.Errorf("dry run reported %s, the real run %s", reportString(dry), reportString(real))
	}
	// Refusals are the same dry.
	bad := boxoffice.Programme{Shows: []boxoffice.Show{{ID: evening, Title: "x", StartsAt: t0, Hall: boxoffice.Hall{ID: "wide"}}}}
	_, err = f.store.ApplyProgramme(f.ctx, bad, true)
	wantError(t, err, boxoffice.ErrConflict, "dry move of a booked show")
}

// A programme with one bad part changes nothing, whatever the part.
func testProgrammeAllOrNothing(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	before, prog := f.state(evening), programmeString(f.stored())
	good := []boxoffice.Show{
		{ID: evening, Title: "Renamed", StartsAt: t0.Add(3 * time.Hour), Hall: f.prog.Halls[0]},
		{ID: "fresh", Title: "Fresh", StartsAt: t0.Add(3 * time.Hour), Hall: f.prog.Halls[1]},
	}
	for _, c := range []struct {
		name  string
		bad   boxoffice.Show
		halls []boxoffice.Hall
		want  *boxoffice.Error
	}{
		{"unknown hall", boxoffice.Show{ID: "lost", Title: "Lost", StartsAt: t0.Add(time.Hour), Hall: boxoffice.Hall{ID: "nowhere"}}, nil, boxoffice.ErrProgramme},
		{"no title", boxoffice.Show{ID: "untitled", StartsAt: t0.Add(time.Hour), Hall: boxoffice.Hall{ID: "small"}}, nil, boxoffice.ErrProgramme},
		{"bad id", boxoffice.Show{ID: "a b", Title: "x", StartsAt: t0.Add(time.Hour), Hall: boxoffice.Hall{ID: "small"}}, nil, boxoffice.ErrProgramme},
		{"started show changed", boxoffice.Show{ID: started, Title: "Moved", StartsAt: t0.Add(time.Hour), Hall: boxoffice.Hall{ID: "small"}}, nil, boxoffice.ErrConflict},
		{"bad layout", boxoffice.Show{ID: "fine", Title: "x", StartsAt: t0.Add(time.Hour), Hall: boxoffice.Hall{ID: "small"}},
			[]boxoffice.Hall{{ID: "broken", Name: "Broken", Layout: boxoffice.Layout{Source: "A ss\nB sx\n"}}}, boxoffice.ErrProgramme},
	} {
		p := boxoffice.Programme{Halls: append([]boxoffice.Hall{hallOf(t, "extra", "Extra", "A s\n")}, c.halls...),
			Shows: append(slices.Clone(good), c.bad)}
		_, err := f.store.ApplyProgramme(f.ctx, p, false)
		wantError(t, err, c.want, c.name)
		f.unchanged(evening, before, c.name)
		if got := programmeString(f.stored()); got != prog {
			t.Errorf("%s: the programme changed:\n%s", c.name, got)
		}
	}
	_, err := f.store.ApplyProgramme(f.ctx, boxoffice.Programme{Halls: []boxoffice.Hall{
		{ID: "broken", Name: "Broken", Layout: boxoffice.Layout{Source: "A ss\nB sx\n"}}}}, false)
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a bad layout's error %q, want it to name the hall and line 2", err)
	}
}

// The rules: what bookings, a start or a cancellation stand in the way of.
func testProgrammeRules(t *testing.T, f *fixture) {
	f.book(evening, alice, "C4")
	small, wide := f.prog.Halls[0], f.prog.Halls[1]
	show := func(id boxoffice.ShowID, title string, at time.Duration, hall boxoffice.Hall, sales boxoffice.Sales) boxoffice.Show {
		return boxoffice.Show{ID: id, Title: title, StartsAt: t0.Add(at), Hall: boxoffice.Hall{ID: hall.ID}, Sales: sales}
	}
	for _, c := range []struct {
		name string
		p    boxoffice.Programme
		want *boxoffice.Error // nil: allowed
	}{
		{"layout losing a booked seat", boxoffice.Programme{Halls: []boxoffice.Hall{hallOf(t, "small", "Small", "A ssss\nB ssss\nC sss\n")}}, boxoffice.ErrConflict},
		{"layout renaming a booked seat", boxoffice.Programme{Halls: []boxoffice.Hall{hallOf(t, "small", "Small", "A ssss\nB ssss\nD ssss\n")}}, boxoffice.ErrConflict},
		{"booked show to another hall", boxoffice.Programme{Shows: []boxoffice.Show{show(evening, "Evening Show", 3*time.Hour, wide, "")}}, boxoffice.ErrConflict},
		{"booked show cancelled", boxoffice.Programme{Shows: []boxoffice.Show{show(evening, "Evening Show", 3*time.Hour, small, boxoffice.SalesCancelled)}}, boxoffice.ErrConflict},
		{"started show renamed", boxoffice.Programme{Shows: []boxoffice.Show{show(started, "New", -30*time.Minute, small, "")}}, boxoffice.ErrConflict},
		{"started show closed", boxoffice.Programme{Shows: []boxoffice.Show{show(started, "Already Running", -30*time.Minute, small, boxoffice.SalesClosed)}}, boxoffice.ErrConflict},
		{"started show as it is", boxoffice.Programme{Shows: []boxoffice.Show{show(started, "Already Running", -30*time.Minute, small, "")}}, nil},
		{"layout keeping every booked seat", boxoffice.Programme{Halls: []boxoffice.Hall{hallOf(t, "small", "Small", "A ss\nB ssss\nC ssss\n")}}, nil},
		{"unbooked show to another hall", boxoffice.Programme{Shows: []boxoffice.Show{show(matinee, "Matinee", time.Hour, wide, "")}}, nil},
		{"booked show moved and renamed", boxoffice.Programme{Shows: []boxoffice.Show{show(evening, "Later", 5*time.Hour, small, "")}}, nil},
		{"booked show closed", boxoffice.Programme{Shows: []boxoffice.Show{show(evening, "Later", 5*time.Hour, small, boxoffice.SalesClosed)}}, nil},
		{"booked show reopened", boxoffice.Programme{Shows: []boxoffice.Show{show(evening, "Later", 5*time.Hour, small, boxoffice.SalesOpen)}}, nil},
		{"unbooked show cancelled", boxoffice.Programme{Shows: []boxoffice.Show{show(gala, "Gala Night", 2*time.Hour, wide, boxoffice.SalesCancelled)}}, nil},
		{"cancelled show reopened", boxoffice.Programme{Shows: []boxoffice.Show{show(gala, "Gala Night", 2*time.Hour, wide, boxoffice.SalesOpen)}}, boxoffice.ErrConflict},
		{"cancelled show renamed", boxoffice.Programme{Shows: []boxoffice.Show{show(gala, "Gala", 2*time.Hour, wide, boxoffice.SalesCancelled)}}, boxoffice.ErrConflict},
		{"cancelled show as it is", boxoffice.Programme{Shows: []boxoffice.Show{show(gala, "Gala Night", 2*time.Hour, wide, boxoffice.SalesCancelled)}}, nil},
	} {
		prog := programmeString(f.stored())
		_, err := f.store.ApplyProgramme(f.ctx, c.p, false)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v, want it allowed", c.name, err)
			}
			continue
		}
		wantError(t, err, c.want, c.name)
		if err != nil && !strings.Contains(err.Error(), "evening") && !strings.Contains(err.Error(), "started") && !strings.Contains(err.Error(), "gala") {
			t.Errorf("%s: detail %q names no show", c.name, err)
		}
		if got := programmeString(f.stored()); got != prog {
			t.Errorf("%s: refused, yet the programme changed:\n%s", c.name, got)
		}
	}
	if sh := f.showOf(evening); sh.Title != "Later" || sh.SalesState() != boxoffice.SalesOpen {
		t.Errorf("evening after the allowed changes: %q %s", sh.Title, sh.SalesState())
	}
	if sh := f.showOf(matinee); sh.Hall.ID != "wide" {
		t.Errorf("matinee in hall %s, want wide", sh.Hall.ID)
	}
}

// Closed sales refuse booking and releasing with ErrClosed, cancelled with
// ErrCancelled; a cancelled show leaves the listing but is still found.
func testSalesStates(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	closed := f.showOf(evening)
	closed.Sales = boxoffice.SalesClosed
	f.apply(boxoffice.Programme{Shows: []boxoffice.Show{closed}})
	before := f.state(evening)
	_, err := f.store.Book(f.ctx, evening, seats("A2"), alice, "", 0)
	wantError(t, err, boxoffice.ErrClosed, "Book on closed sales")
	_, err = f.store.Release(f.ctx, evening, seats("A1"), alice)
	wantError(t, err, boxoffice.ErrClosed, "Release on closed sales")
	f.unchanged(evening, before, "refused on closed sales")
	closed.Sales = boxoffice.SalesOpen
	f.apply(boxoffice.Programme{Shows: []boxoffice.Show{closed}})
	f.book(evening, alice, "A2")

	if _, err := f.store.CancelShow(f.ctx, matinee, false); err != nil {
		t.Fatalf("CancelShow(matinee) = %v", err)
	}
	_, err = f.store.Book(f.ctx, matinee, seats("A1"), alice, "", 0)
	wantError(t, err, boxoffice.ErrCancelled, "Book on a cancelled show")
	_, err = f.store.Release(f.ctx, matinee, seats("A1"), alice)
	wantError(t, err, boxoffice.ErrCancelled, "Release on a cancelled show")
	sh, err := f.store.Show(f.ctx, matinee)
	if err != nil || sh.SalesState() != boxoffice.SalesCancelled {
		t.Errorf("Show(cancelled) = %s, %v; want it, cancelled", sh.SalesState(), err)
	}
	list, err := f.store.Shows(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == matinee {
			t.Errorf("Shows lists the cancelled show")
		}
	}
	if p := f.stored(); !slices.ContainsFunc(p.Shows, func(s boxoffice.Show) bool { return s.ID == matinee }) {
		t.Errorf("Programme leaves the cancelled show out")
	}
}

// A show's own cap wins over the server's; 0 is none.
func testShowCap(t *testing.T, f *fixture) {
	two, none := 2, 0
	ev, ga := f.showOf(evening), f.showOf(gala)
	ev.MaxSeatsPerGuest, ga.MaxSeatsPerGuest = &two, &none
	f.apply(boxoffice.Programme{Shows: []boxoffice.Show{ev, ga}})
	f.book(evening, alice, "A1", "A2")
	_, err := f.store.Book(f.ctx, evening, seats("A3"), alice, "", 0)
	wantSeatLimit(t, err, "third seat under the show's cap of 2, server none", 2, 2, "A3")
	_, err = f.store.Book(f.ctx, evening, seats("A3"), alice, "", 10)
	wantSeatLimit(t, err, "third seat under the show's cap of 2, server 10", 2, 2, "A3")
	if _, err := f.store.Book(f.ctx, gala, seats("A1", "A2", "A3"), alice, "", 1); err != nil {
		t.Errorf("three seats of a show with no cap, server 1: %v", err)
	}
	if _, err := f.store.Book(f.ctx, matinee, seats("A1", "A2"), alice, "", 1); !errors.Is(err, boxoffice.ErrSeatLimit) {
		t.Errorf("a show without its own cap takes the server's: %v", err)
	}
}

// CancelShow refuses a show with bookings unless forced, which frees them
// in one change before the cancellation's.
func testCancelShow(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1", "A2")
	f.book(evening, bob, "B1")
	before := f.state(evening)
	_, err := f.store.CancelShow(f.ctx, evening, false)
	wantError(t, err, boxoffice.ErrConflict, "CancelShow with bookings")
	f.unchanged(evening, before, "refused cancel")

	n, err := f.store.CancelShow(f.ctx, evening, true)
	if err != nil || n != 3 {
		t.Fatalf("CancelShow(force) = %d, %v; want 3, nil", n, err)
	}
	after := f.state(evening)
	if len(after.Holders) != 0 || after.Version != before.Version+2 {
		t.Errorf("after the forced cancel: version %d holders %s; want %d and none", after.Version, holdersString(after.Holders), before.Version+2)
	}
	log := after.Log[len(before.Log):]
	if len(log) != 2 || log[0].Programme || len(log[0].Seats) != 3 || !log[1].Programme {
		t.Fatalf("log after the forced cancel = %q, want the release then a programme change", changeStrings(log))
	}
	for _, sc := range log[0].Seats {
		if sc.Holder != "" || (sc.By != alice && sc.By != bob) {
			t.Errorf("release of %s: holder %s by %s", sc.Seat, who(sc.Holder), who(sc.By))
		}
	}
	if n, err := f.store.CancelShow(f.ctx, evening, false); err != nil || n != 0 || f.state(evening).Version != after.Version {
		t.Errorf("cancelling again = %d, %v; want 0, nil and no change", n, err)
	}
	if n, err := f.store.CancelShow(f.ctx, gala, false); err != nil || n != 0 {
		t.Errorf("CancelShow of a show without bookings = %d, %v", n, err)
	}
	_, err = f.store.CancelShow(f.ctx, "nosuch", true)
	wantError(t, err, boxoffice.ErrNotFound, "CancelShow of no show")
	_, err = f.store.CancelShow(f.ctx, started, false)
	wantError(t, err, boxoffice.ErrConflict, "CancelShow of a started show")
}

// DeleteHall deletes only a hall no show plays in.
func testDeleteHall(t *testing.T, f *fixture) {
	f.apply(boxoffice.Programme{Halls: []boxoffice.Hall{hallOf(t, "spare", "Spare", "A s\n")}})
	wantError(t, f.store.DeleteHall(f.ctx, "small"), boxoffice.ErrConflict, "DeleteHall with shows")
	if _, err := f.store.CancelShow(f.ctx, gala, false); err != nil {
		t.Fatal(err)
	}
	wantError(t, f.store.DeleteHall(f.ctx, "wide"), boxoffice.ErrConflict, "DeleteHall with a cancelled show")
	wantError(t, f.store.DeleteHall(f.ctx, "nosuch"), boxoffice.ErrNotFound, "DeleteHall of no hall")
	if err := f.store.DeleteHall(f.ctx, "spare"); err != nil {
		t.Fatalf("DeleteHall(spare) = %v", err)
	}
	for _, h := range f.stored().Halls {
		if h.ID == "spare" {
			t.Errorf("the deleted hall is still in the programme")
		}
	}
	wantError(t, f.store.DeleteHall(f.ctx, "spare"), boxoffice.ErrNotFound, "DeleteHall again")
}
