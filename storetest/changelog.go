package storetest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"boxoffice"
)

// script runs a fixed sequence of operations on the evening show, a minute
// apart by the clock, and returns the changes they made: seven, versions 1
// to 7, some of several seats.
func (f *fixture) script() []boxoffice.Change {
	f.t.Helper()
	var made []boxoffice.Change
	for i, op := range []struct {
		book bool
		g    boxoffice.Guest
		ids  []string
	}{
		{true, alice, []string{"A1", "A2"}},
		{true, bob, []string{"B1"}},
		{false, alice, []string{"A1"}},
		{true, bob, []string{"A1", "C1"}},
		{true, alice, []string{"A2"}},  // already hers: no change
		{false, carol, []string{"A3"}}, // free: no change
		{false, alice, []string{"A2"}},
		{true, carol, []string{"A2", "A3", "A4"}},
		{false, bob, []string{"B1", "C2"}}, // C2 is free: B1 only
	} {
		f.clock.Set(t0.Add(time.Duration(i) * time.Minute))
		var c boxoffice.Change
		if op.book {
			c = f.book(evening, op.g, op.ids...)
		} else {
			c = f.release(evening, op.g, op.ids...)
		}
		if len(c.Seats) > 0 {
			made = append(made, c)
		}
	}
	if len(made) != 7 {
		f.t.Fatalf("script made %d changes, want 7: %q", len(made), changeStrings(made))
	}
	return made
}

// The change log holds every change, in version order, versions 1, 2, 3...
// without gaps, and replaying it gives the seat map.
func testChangeLog(t *testing.T, f *fixture) {
	made := f.script()
	st := f.state(evening)
	if got, want := changeStrings(st.Log), changeStrings(made); !slices.Equal(got, want) {
		t.Errorf("ChangesSince(0) =\n%q\nwant the changes the operations returned:\n%q", got, want)
	}
	if st.Version != 7 {
		t.Errorf("SeatMap version = %d, want 7", st.Version)
	}
	if held := replay(t, st.Log, 0); !maps.Equal(held, st.Holders) {
		t.Errorf("replaying the change log gives %s, but SeatMap holds %s", holdersString(held), holdersString(st.Holders))
	}
	want := map[boxoffice.SeatID]boxoffice.Guest{"A1": bob, "C1": bob, "A2": carol, "A3": carol, "A4": carol}
	if !maps.Equal(st.Holders, want) {
		t.Errorf("SeatMap holders = %s, want %s", holdersString(st.Holders), holdersString(want))
	}

	for after := int64(0); after <= 9; after++ {
		got, err := f.store.ChangesSince(f.ctx, evening, after, allChanges)
		if err != nil {
			t.Fatalf("ChangesSince(%d) = %v", after, err)
		}
		var want []string
		if after < 7 {
			want = changeStrings(made[after:])
		}
		if !slices.Equal(changeStrings(got), want) {
			t.Errorf("ChangesSince(%d) =\n%q\nwant\n%q", after, changeStrings(got), want)
		}
	}

	// Other shows have logs of their own.
	if log, err := f.store.ChangesSince(f.ctx, matinee, 0, allChanges); err != nil || len(log) != 0 {
		t.Errorf("ChangesSince(matinee) = %q, %v; want none", changeStrings(log), err)
	}
}

// The limit counts changes, not seats.
func testChangesSinceLimit(t *testing.T, f *fixture) {
	made := f.script()
	for _, try := range []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 1, []int64{1}},
		{0, 2, []int64{1, 2}},
		{0, 3, []int64{1, 2, 3}},
		{2, 2, []int64{3, 4}},
		{3, 1, []int64{4}},
		{5, 10, []int64{6, 7}},
		{6, 1, []int64{7}},
		{7, 1, nil},
		{0, 7, []int64{1, 2, 3, 4, 5, 6, 7}},
		{0, 8, []int64{1, 2, 3, 4, 5, 6, 7}},
	} {
		got, err := f.store.ChangesSince(f.ctx, evening, try.after, try.limit)
		if err != nil {
			t.Errorf("ChangesSince(%d, limit %d) = %v", try.after, try.limit, err)
			continue
		}
		var versions []int64
		for _, c := range got {
			versions = append(versions, c.Version)
			if changeString(c) != changeString(made[c.Version-1]) {
				t.Errorf("ChangesSince(%d, limit %d): version %d is %s, want %s",
					try.after, try.limit, c.Version, changeString(c), changeString(made[c.Version-1]))
			}
		}
		if !slices.Equal(versions, try.want) {
			t.Errorf("ChangesSince(%d, limit %d) gave versions %v, want %v", try.after, try.limit, versions, try.want)
		}
	}
}

// replay applies log, which must start right after version from and have
// consecutive versions, to an empty seat map.
func replay(t *testing.T, log []boxoffice.Change, from int64) map[boxoffice.SeatID]boxoffice.Guest {
	t.Helper()
	held := map[boxoffice.SeatID]boxoffice.Guest{}
	for i, c := range log {
		if want := from + int64(i) + 1; c.Version != want {
			t.Fatalf("change log: change %d has version %d, want %d (versions must be consecutive)", i, c.Version, want)
		}
		if len(c.Seats) == 0 && !c.Programme {
			t.Errorf("change log: version %d changes no seat and is no programme change", c.Version)
		}
		for _, sc := range c.Seats {
			if sc.Holder == "" {
				delete(held, sc.Seat)
			} else {
				held[sc.Seat] = sc.Holder
			}
		}
	}
	return held
}
