// Package storetest is the test suite every boxoffice.Store passes. It is
// written once against the interface, so that the SQLite and PostgreSQL
// stores are held to the same promises, races included:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, opts storetest.Options) boxoffice.Store {
//			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), Options{Now: opts.Now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// RunLog adds the bounded change log's tests, which read the store's rows
// through a RawLog the store's own tests provide.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// Options are what the suite controls in each store it asks for.
type Options struct {
	// Now is the clock the store must use to decide whether a show's sales
	// are closed and to stamp changes (Change.At). Nil means time.Now.
	Now func() time.Time
	// KeepVersions is how many of a show's latest versions the store's
	// change log must keep whole (see RunLog); 0 means the store's default,
	// 2,000.
	KeepVersions int
}

// Run runs the suite. newStore returns a new, empty store each time it is
// called and registers its own cleanup.
func Run(t *testing.T, newStore func(t *testing.T, opts Options) boxoffice.Store) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, f *fixture)
	}{
		{"Seed", testSeed},
		{"Shows", testShows},
		{"ShowRoundTrip", testShowRoundTrip},
		{"UnknownShow", testUnknownShow},
		{"Book", testBook},
		{"BookTaken", testBookTaken},
		{"Release", testRelease},
		{"ReleaseNotYours", testReleaseNotYours},
		{"AllOrNothing", testAllOrNothing},
		{"BatchRules", testBatchRules},
		{"BatchIsOneChange", testBatchIsOneChange},
		{"Closed", testClosed},
		{"ChangeLog", testChangeLog},
		{"ChangesSinceLimit", testChangesSinceLimit},
		{"SeatIDsAreExact", testSeatIDsAreExact},
		{"EmptyGuest", testEmptyGuest},
		{"OneSeatManyGuests", testOneSeatManyGuests},
		{"ConcurrentTraffic", testConcurrentTraffic},
		{"CancelledContext", testCancelledContext},
		{"CancelInFlight", testCancelInFlight},
		{"SeatLimit", testSeatLimit},
		{"SeatLimitOrder", testSeatLimitOrder},
		{"SeatLimitLowered", testSeatLimitLowered},
		{"SeatLimitConcurrent", testSeatLimitConcurrent},
		{"ForgetHistory", testForgetHistory},
		{"ProgrammeExport", testProgrammeExport},
		{"ProgrammeChanges", testProgrammeChanges},
		{"ProgrammeDryRun", testProgrammeDryRun},
		{"ProgrammeAllOrNothing", testProgrammeAllOrNothing},
		{"ProgrammeRules", testProgrammeRules},
		{"SalesStates", testSalesStates},
		{"ShowCap", testShowCap},
		{"CancelShow", testCancelShow},
		{"DeleteHall", testDeleteHall},
		{"ProgrammeUnderBookings", testProgrammeUnderBookings},
		{"DoorList", testDoorList},
		{"ReleaseSeats", testReleaseSeats},
		{"ReleaseWholeHall", testReleaseWholeHall},
		{"ReleaseSeatsRefused", testReleaseSeatsRefused},
		{"ReleaseAfterSales", testReleaseAfterSales},
		{"ReleaseGuest", testReleaseGuest},
		{"ReleaseUnderBookings", testReleaseUnderBookings},
		{"Ticket", testTicket},
		{"TicketReleaseAll", testTicketReleaseAll},
		{"TicketCancelled", testTicketCancelled},
		{"TicketDoorList", testTicketDoorList},
		{"TicketForgotten", testTicketForgotten},
		{"TicketsConcurrent", testTicketsConcurrent},
		{"AdmitConcurrent", testAdmitConcurrent},
		{"AdmitWindow", testAdmitWindow},
		{"AdmittedLocks", testAdmittedLocks},
		{"AdmitRacesRelease", testAdmitRacesRelease},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionExpiry", testSessionExpiry},
		{"SessionPruned", testSessionPruned},
		{"SessionDuplicate", testSessionDuplicate},
		{"SessionsConcurrent", testSessionsConcurrent},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.test(t, newFixture(t, newStore))
		})
	}
}

// t0 is the suite's "now" when a test starts: every show is scheduled around
// it. It is in a zone other than UTC, so stores must keep the instant, not
// the wall clock; whole seconds, so any storage precision keeps it exactly.
var t0 = time.Date(2031, time.March, 14, 18, 0, 0, 0, time.FixedZone("CET", 3600))

// The suite's halls and shows.
const (
	// small: three rows of four, A1..C4.
	smallLayout = "A ssss\nB ssss\nC ssss\n"
	// wide: 24 places with an aisle, a cross aisle and wheelchair spaces,
	// more than boxoffice.MaxSeatsPerRequest.
	wideLayout = "# wide hall\nA ssssss.ssssss\n-\nB wcssss.sssscw\n"

	evening boxoffice.ShowID = "evening" // small, t0+3h
	matinee boxoffice.ShowID = "matinee" // small, t0+1h
	gala    boxoffice.ShowID = "gala"    // wide, t0+2h
	started boxoffice.ShowID = "started" // small, t0-30m: sales closed from the start
)

// programme returns the suite's programme, its shows deliberately not in
// start order.
func programme(t *testing.T) boxoffice.Programme {
	t.Helper()
	hall := func(id, name, src string) boxoffice.Hall {
		l, err := boxoffice.ParseLayout(src)
		if err != nil {
			t.Fatalf("layout of %s: %v", id, err)
		}
		return boxoffice.Hall{ID: boxoffice.HallID(id), Name: name, Layout: l}
	}
	small, wide := hall("small", "Small", smallLayout), hall("wide", "Wide", wideLayout)
	return boxoffice.Programme{
		Halls: []boxoffice.Hall{small, wide},
		Shows: []boxoffice.Show{
			{ID: evening, Title: "Evening Show", StartsAt: t0.Add(3 * time.Hour), Hall: small},
			{ID: started, Title: "Already Running", StartsAt: t0.Add(-30 * time.Minute), Hall: small},
			{ID: gala, Title: "Gala Night", StartsAt: t0.Add(2 * time.Hour), Hall: wide},
			{ID: matinee, Title: "Matinee", StartsAt: t0.Add(time.Hour), Hall: small},
		},
	}
}

// Guests of the suite.
var (
	alice = guest("alice")
	bob   = guest("bob")
	carol = guest("carol")
)

// guestNames maps the suite's guests back to their names for messages.
var guestNames sync.Map

func guest(name string) boxoffice.Guest {
	g := boxoffice.GuestFromToken("storetest-" + name)
	guestNames.Store(g, name)
	return g
}

// who names a guest in messages: the suite's name for it, "-" for none.
func who(g boxoffice.Guest) string {
	if g == "" {
		return "-"
	}
	if name, ok := guestNames.Load(g); ok {
		return name.(string)
	}
	return string(g)
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fixture is one test's fresh store, seeded with programme, and its clock.
type fixture struct {
	t     *testing.T
	store boxoffice.Store
	clock *clock
	prog  boxoffice.Programme
	ctx   context.Context
}

func newFixture(t *testing.T, newStore func(*testing.T, Options) boxoffice.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{now: t0}, prog: programme(t), ctx: t.Context()}
	f.store = newStore(t, Options{Now: f.clock.Now})
	seeded, err := f.store.Seed(f.ctx, f.prog)
	if err != nil || !seeded {
		t.Fatalf("Seed of a new store = %v, %v; want true, nil", seeded, err)
	}
	return f
}

func seats(ids ...string) []boxoffice.SeatID {
	out := make([]boxoffice.SeatID, len(ids))
	for i, id := range ids {
		out[i] = boxoffice.SeatID(id)
	}
	return out
}

// book books seats for g and fails the test unless it succeeds.
func (f *fixture) book(show boxoffice.ShowID, g boxoffice.Guest, ids ...string) boxoffice.Change {
	f.t.Helper()
	c, err := f.store.Book(f.ctx, show, seats(ids...), g, "", 0)
	if err != nil {
		f.t.Fatalf("Book(%s, %v) = %v", show, ids, err)
	}
	return c
}

// release releases seats for g and fails the test unless it succeeds.
func (f *fixture) release(show boxoffice.ShowID, g boxoffice.Guest, ids ...string) boxoffice.Change {
	f.t.Helper()
	c, err := f.store.Release(f.ctx, show, seats(ids...), g)
	if err != nil {
		f.t.Fatalf("Release(%s, %v) = %v", show, ids, err)
	}
	return c
}

// state is everything an operation may change about a show.
type state struct {
	Version int64
	Holders map[boxoffice.SeatID]boxoffice.Guest
	Log     []boxoffice.Change
}

// allChanges is a limit above any number of changes a test makes.
const allChanges = 1 << 20

func (f *fixture) state(show boxoffice.ShowID) state {
	f.t.Helper()
	m, err := f.store.SeatMap(f.ctx, show)
	if err != nil {
		f.t.Fatalf("SeatMap(%s) = %v", show, err)
	}
	log, err := f.store.ChangesSince(f.ctx, show, 0, allChanges)
	if err != nil {
		f.t.Fatalf("ChangesSince(%s, 0) = %v", show, err)
	}
	return state{Version: m.Version, Holders: m.Holders, Log: log}
}

// unchanged fails the test if show's state differs from before.
func (f *fixture) unchanged(show boxoffice.ShowID, before state, what string) {
	f.t.Helper()
	after := f.state(show)
	if after.Version != before.Version {
		f.t.Errorf("%s: version went %d → %d", what, before.Version, after.Version)
	}
	if !maps.Equal(after.Holders, before.Holders) {
		f.t.Errorf("%s: holders went %v → %v", what, holdersString(before.Holders), holdersString(after.Holders))
	}
	if got, want := changeStrings(after.Log), changeStrings(before.Log); !slices.Equal(got, want) {
		f.t.Errorf("%s: change log went\n%s\n→\n%s", what, strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// wantError fails the test unless err has target's code and, when seats are
// given, names exactly those seats (in any order).
func wantError(t *testing.T, err error, target *boxoffice.Error, what string, ids ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %s", what, err, target.Code)
		return
	}
	if ids == nil {
		return
	}
	if got, want := sorted(boxoffice.ErrorSeats(err)), sorted(seats(ids...)); !slices.Equal(got, want) {
		t.Errorf("%s: error names seats %v, want %v", what, got, want)
	}
}

func join(ids []string) string { return strings.Join(ids, " ") }

func sorted(ids []boxoffice.SeatID) []boxoffice.SeatID {
	return slices.Sorted(slices.Values(ids))
}

// changeString renders a change for comparison and messages; seats within a
// change are compared in any order.
func changeString(c boxoffice.Change) string {
	s := slices.Clone(c.Seats)
	slices.SortFunc(s, func(a, b boxoffice.SeatChange) int { return strings.Compare(string(a.Seat), string(b.Seat)) })
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%d %s", c.Show, c.Version, c.At.UTC().Format(time.RFC3339Nano))
	for _, sc := range s {
		fmt.Fprintf(&b, " %q=%s/by:%s", sc.Seat, who(sc.Holder), who(sc.By))
	}
	return b.String()
}

// holdersString renders a seat map's holders: "A1=alice B2=bob".
func holdersString(h map[boxoffice.SeatID]boxoffice.Guest) string {
	var parts []string
	for _, seat := range slices.Sorted(maps.Keys(h)) {
		parts = append(parts, fmt.Sprintf("%s=%s", seat, who(h[seat])))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func changeStrings(cs []boxoffice.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = changeString(c)
	}
	return out
}

// wantChange fails the test unless c is at version v, stamped now, and
// changes exactly the seats given to holder (""  for freed), by by.
func wantChange(t *testing.T, c boxoffice.Change, show boxoffice.ShowID, v int64, now time.Time,
	holder, by boxoffice.Guest, ids ...string) {
	t.Helper()
	want := boxoffice.Change{Show: show, Version: v, At: now}
	for _, id := range ids {
		want.Seats = append(want.Seats, boxoffice.SeatChange{Seat: boxoffice.SeatID(id), Holder: holder, By: by})
	}
	if got, w := changeString(c), changeString(want); got != w {
		t.Errorf("change\n got %s\nwant %s", got, w)
	}
}

// wantNoOp fails the test unless c reports nothing changed at version v.
func wantNoOp(t *testing.T, c boxoffice.Change, show boxoffice.ShowID, v int64) {
	t.Helper()
	if c.Show != show || c.Version != v || len(c.Seats) != 0 {
		t.Errorf("no-op change = %s, want %s@%d with no seats", changeString(c), show, v)
	}
}
