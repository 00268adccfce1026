package load

import (
	"strings"
	"testing"
)

func book(g int, v int64, seats ...string) Op {
	return Op{Guest: g, Seats: seats, Book: true, Result: Acked, Version: v}
}

func release(g int, v int64, seats ...string) Op {
	return Op{Guest: g, Seats: seats, Result: Acked, Version: v}
}

func with(op Op, r Result) Op {
	op.Result = r
	if r != Acked {
		op.Version = 0
	}
	return op
}

func held(pairs ...any) FinalState {
	f := FinalState{Mine: map[string][]int{}, Booked: map[string]bool{}}
	for i := 0; i < len(pairs); i += 2 {
		seat := pairs[i].(string)
		f.Mine[seat] = append(f.Mine[seat], pairs[i+1].(int))
		f.Booked[seat] = true
	}
	return f
}

func TestCheckAcceptsAConsistentHistory(t *testing.T) {
	tests := []struct {
		name           string
		ops            []Op
		final          FinalState
		wantUnverified int
	}{
		{"nothing", nil, held(), 0},
		{"book then release", []Op{book(1, 1, "A1"), release(1, 2, "A1")}, held(), 0},
		{"answers out of order", []Op{release(1, 2, "A1"), book(1, 1, "A1")}, held(), 0},
		{"a release of a free seat", []Op{book(1, 1, "A1"), release(1, 2, "A1"), release(2, 2, "A1"), book(2, 3, "A1")}, held("A1", 2), 0},
		{"conflicts change nothing", []Op{book(1, 1, "A1"), with(book(2, 0, "A1"), Refused), with(release(2, 0, "A1"), Refused)}, held("A1", 1), 0},
		{"a group", []Op{book(1, 4, "A1", "A2", "A3"), release(1, 5, "A2")}, held("A1", 1, "A3", 1), 0},
		{"booking one's own seat again", []Op{book(1, 1, "A1"), book(1, 1, "A1"), book(2, 1, "B1")}, held("A1", 1, "B1", 2), 0},
		{"an unanswered release, then another's booking",
			[]Op{book(1, 1, "A1"), with(release(1, 0, "A1"), Uncertain), book(2, 3, "A1")}, held("A1", 2), 1},
		{"an unanswered booking that happened", []Op{with(book(1, 0, "A1"), Uncertain)}, held("A1", 1), 1},
		{"an unanswered booking that did not", []Op{with(book(1, 0, "A1"), Uncertain)}, held(), 0},
		// A run's history, each guest's operations in its own order as the
		// tool gathers them: guest 1's release was done but answered 503, its
		// retry refused 429 while guest 2 held the seat, and its next retry,
		// a no-op on the seat guest 2 had just freed, answered with the
		// version guest 2's release made.
		{"a retried release answered at the version another's release made", []Op{
			book(1, 552, "A2"), with(release(1, 0, "A2"), Uncertain), with(release(1, 0, "A2"), Refused), release(1, 557, "A2"),
			book(2, 556, "A2"), release(2, 557, "A2"),
		}, held(), 1},
		{"a release of a free seat answered at the version the holder's release made",
			[]Op{book(1, 1, "A1"), release(2, 2, "A1"), release(1, 2, "A1")}, held(), 0},
		{"a stranger's seat from before the run", []Op{with(book(1, 0, "A1"), Refused)},
			FinalState{Booked: map[string]bool{"A1": true}, Before: map[string]bool{"A1": true}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, unverified := Check(tt.ops, tt.final)
			if len(v) > 0 {
				t.Errorf("Check found violations in a consistent history:\n%s", strings.Join(v, "\n"))
			}
			if unverified != tt.wantUnverified {
				t.Errorf("unverified = %d, want %d", unverified, tt.wantUnverified)
			}
		})
	}
}

func TestCheckReportsViolations(t *testing.T) {
	tests := []struct {
		name  string
		ops   []Op
		final FinalState
		want  string // in the one violation
	}{
		{"two holders at the end", []Op{book(1, 1, "A1")}, held("A1", 1, "A1", 2), "2 holders at the end"},
		{"a booking vanished by the end", []Op{book(1, 1, "A1")}, held(), "the booking vanished"},
		{"a booking vanished on the way",
			[]Op{book(1, 1, "A1"), release(2, 2, "A1")}, held(), "found the seat free: the booking vanished"},
		{"booked while held", []Op{book(1, 1, "A1"), book(2, 2, "A1")}, held("A1", 2), "two holders"},
		{"two answers at one version", []Op{book(1, 3, "A1"), book(2, 3, "A1")}, held("A1", 2), "disagree"},
		{"the final holder is not the latest answer's",
			[]Op{book(1, 1, "A1"), release(1, 2, "A1"), book(2, 3, "A1")}, held("A1", 1), "the last acknowledged answer was guest 2's booking"},
		{"held by a stranger", nil, FinalState{Mine: map[string][]int{}, Booked: map[string]bool{"A1": true}}, "a guest this run does not know"},
		{"a stranger's seat from before, freed and taken by a stranger again", []Op{release(1, 3, "A1")},
			FinalState{Booked: map[string]bool{"A1": true}, Before: map[string]bool{"A1": true}}, "a guest this run does not know"},
		{"held without a booking", []Op{book(1, 1, "B1")}, held("B1", 1, "A1", 2), "never booked it"},
		{"a booking vanished at a version that others' no-op answers name too",
			[]Op{book(1, 1, "A1"), release(2, 2, "A1"), release(3, 2, "A1")}, held(), "found the seat free: the booking vanished"},
		{"an unanswered release by someone else excuses nothing",
			[]Op{book(1, 1, "A1"), with(release(3, 0, "A1"), Uncertain), book(2, 2, "A1")}, held("A1", 2), "two holders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := Check(tt.ops, tt.final)
			if len(v) != 1 || !strings.Contains(v[0], tt.want) {
				t.Fatalf("Check = %q, want one violation saying %q", v, tt.want)
			}
		})
	}
}
