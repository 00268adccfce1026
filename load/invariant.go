package load

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// Op is one booking or release a guest sent, and what became of it.
type Op struct {
	Guest   int
	Seats   []string
	Book    bool // false: a release
	Result  Result
	Version int64 // the version the answer carried, when Acked
}

// Result is what the tool knows of an operation's effect.
type Result int

const (
	// Acked: the server answered 2xx with a version: after that version the
	// seats were the guest's (book) or free (release).
	Acked Result = iota
	// Refused: the server answered that it changed nothing (409, 403, 4xx).
	Refused
	// Uncertain: no answer, or a 5xx: the change may or may not have happened.
	Uncertain
)

// FinalState is the show as read after the run, once no guest writes.
type FinalState struct {
	// Mine lists, for each seat, the guests whose own view calls it "mine".
	Mine map[string][]int
	// Booked holds the seats anyone holds, as a guest of no run sees them.
	Booked map[string]bool
	// Before holds the seats held before the run, by guests it does not know
	// (an earlier run's, on a server it was given): they may stay so.
	Before map[string]bool
}

// holder is who holds a seat at some version: a guest, or nobody.
type holder int

const free holder = -1

func (h holder) String() string {
	if h == free {
		return "free"
	}
	return fmt.Sprintf("held by guest %d", int(h))
}

// observation is one acknowledged answer's word on one seat.
type observation struct {
	version int64
	guest   int
	book    bool
}

func (o observation) state() holder {
	if o.book {
		return holder(o.guest)
	}
	return free
}

func (o observation) String() string {
	verb := "release"
	if o.book {
		verb = "booking"
	}
	return fmt.Sprintf("guest %d's %s at version %d", o.guest, verb, o.version)
}

// Check verifies the history of acknowledged operations against the final
// state, and returns every violation found (none: the run kept the rules):
//
//   - no seat has two holders, at the end or at any version two answers name;
//   - a seat's holder at the end is the one the acknowledged operation with
//     the highest version left it to;
//   - no acknowledged booking vanished: between a guest's booking and the
//     next answer about the seat, only that guest's release can free it.
//
// A write that changes nothing (a retry, a release of a free seat) is
// answered with the show's current version, which another guest's change may
// have made: answers at one version are one moment, and the change to it is
// judged by whichever of them can explain it.
//
// An operation without an answer (Uncertain) may have happened or not: the
// state it would leave is accepted too, and counted in unverified.
func Check(ops []Op, final FinalState) (violations []string, unverified int) {
	obs := map[string][]observation{}
	// maybe[seat] is the states an uncertain operation could have left.
	type guestSeat struct {
		guest int
		seat  string
	}
	maybeBook, maybeRelease := map[guestSeat]bool{}, map[guestSeat]bool{}
	for _, op := range ops {
		for _, s := range op.Seats {
			switch op.Result {
			case Acked:
				obs[s] = append(obs[s], observation{op.Version, op.Guest, op.Book})
			case Uncertain:
				if op.Book {
					maybeBook[guestSeat{op.Guest, s}] = true
				} else {
					maybeRelease[guestSeat{op.Guest, s}] = true
				}
			}
		}
	}
	// canBecome tells whether a change from one holder to another, seen
	// without an answer between, could come from an uncertain operation.
	canBecome := func(seat string, from, to holder) bool {
		if from != free && !maybeRelease[guestSeat{int(from), seat}] {
			return false
		}
		return to == free || maybeBook[guestSeat{int(to), seat}]
	}
	fail := func(format string, args ...any) { violations = append(violations, fmt.Sprintf(format, args...)) }

	seats := map[string]bool{}
	for s := range obs {
		seats[s] = true
	}
	for s := range final.Mine {
		seats[s] = true
	}
	for s := range final.Booked {
		seats[s] = true
	}
	for _, seat := range slices.Sorted(maps.Keys(seats)) {
		// The final holder.
		end := free
		switch mine := final.Mine[seat]; {
		case len(mine) > 1:
			fail("seat %s has %d holders at the end: guests %v", seat, len(mine), mine)
			continue
		case len(mine) == 1:
			end = holder(mine[0])
		case final.Booked[seat] && final.Before[seat] && len(obs[seat]) == 0:
			continue // someone else's since before the run, untouched
		case final.Booked[seat]:
			fail("seat %s is held at the end by a guest this run does not know", seat)
			continue
		}

		seen := obs[seat]
		slices.SortStableFunc(seen, func(a, b observation) int { return cmp.Compare(a.version, b.version) })
		var last *observation // the latest answer, nil before the first
		for len(seen) > 0 {
			// Answers at one version come in no order: the one whose change
			// made the version, and any no-op answered after it (a retry, a
			// release of a seat already free), which carries the show's
			// current version though another guest's change made it.
			n := 1
			for n < len(seen) && seen[n].version == seen[0].version {
				n++
			}
			at := seen[:n:n]
			seen = seen[n:]
			for i := 1; i < n; i++ {
				if a, b := &at[i-1], &at[i]; a.state() != b.state() {
					fail("seat %s: two answers at version %d disagree: %s left it %s, %s left it %s",
						seat, b.version, a, a.state(), b, b.state())
				}
			}
			o := &at[n-1]
			if last == nil {
				last = o
				continue
			}
			from, to := last.state(), o.state()
			// The change to this version is judged by the answer that can
			// have made it: the holder's own release, if one is among them.
			if i := slices.IndexFunc(at, func(a observation) bool {
				return to == free && !a.book && a.guest == int(from)
			}); i >= 0 {
				o = &at[i]
			}
			switch {
			case from == to:
			case from == free:
				// Only a booking makes a seat someone's, and o is one.
			case !o.book && o.guest == int(from):
				// The holder released it.
			case maybeRelease[guestSeat{int(from), seat}]:
				// The holder's unanswered release may have freed it first;
				// o itself is the booking or the release that followed.
				unverified++
			case to == free:
				fail("seat %s: %s was acknowledged, but %s found the seat free: the booking vanished", seat, last, o)
			default:
				fail("seat %s: %s was acknowledged, then %s while guest %d still held it: two holders",
					seat, last, o, last.guest)
			}
			last = o
		}
		switch {
		case last == nil && end != free:
			if maybeBook[guestSeat{int(end), seat}] {
				unverified++
			} else {
				fail("seat %s is %s at the end, but that guest never booked it", seat, end)
			}
		case last == nil || last.state() == end:
		case canBecome(seat, last.state(), end):
			unverified++
		case end == free:
			fail("seat %s is free at the end, but %s was the last acknowledged: the booking vanished", seat, last)
		default:
			fail("seat %s is %s at the end, but the last acknowledged answer was %s, which left it %s",
				seat, end, last, last.state())
		}
	}
	return violations, unverified
}
