package load

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
)

// OnsaleShow is one show onsale's guests booked in, and how they fared
// there.
type OnsaleShow struct {
	ID     string `json:"id"`
	Seats  int    `json:"seats"`
	Free   int    `json:"free_before"` // free when the run began: a show's share of the guests follows it
	Guests int    `json:"guests"`      // guests who came in for this show
	Sold   int    `json:"seats_sold"`  // seats free before the run and held after it
}

// pickShows is the shows onsale drives, n of them (0: all): the premiere,
// as pickShow finds it (--show, or the largest hall's first), then the other
// shows on sale by size, largest first, the earliest first among equals.
// Larger shows first make the most seats of n shows, which is what --shows
// is for: bookings throughout the run. A show not on sale (cancelled,
// closed, started) is left out: its guests could book nothing.
func pickShows(ctx context.Context, c *caller, want string, n int) ([]showMap, error) {
	first, err := pickShow(ctx, c, want)
	if err != nil || n == 1 {
		return []showMap{first}, err
	}
	var list struct {
		Shows []showSummary `json:"shows"`
	}
	if err := c.getJSON(ctx, "/api/shows", &list); err != nil {
		return nil, err
	}
	others := slices.DeleteFunc(list.Shows, func(s showSummary) bool { return !s.Open || s.ID == first.ID })
	slices.SortStableFunc(others, func(a, b showSummary) int {
		return cmp.Or(cmp.Compare(b.Capacity, a.Capacity), a.StartsAt.Compare(b.StartsAt))
	})
	if n == 0 {
		n = 1 + len(others)
	}
	if n > 1+len(others) {
		return nil, fmt.Errorf("--shows %d: the server has %d other shows on sale besides %s", n, len(others), first.ID)
	}
	shows := []showMap{first}
	for _, s := range others[:n-1] {
		var m showMap
		if err := c.getJSON(ctx, showPath(s.ID), &m); err != nil {
			return nil, err
		}
		shows = append(shows, m)
	}
	return shows, nil
}

// newOnsaleShows is the report's entry for each show, before the run.
func newOnsaleShows(shows []showMap) []OnsaleShow {
	out := make([]OnsaleShow, len(shows))
	for i, s := range shows {
		out[i] = OnsaleShow{ID: s.ID, Seats: len(s.Seats)}
		for _, st := range s.Seats {
			if st.Status == "free" {
				out[i].Free++
			}
		}
	}
	return out
}

// nextShow is the index of the show the next guest comes for: the one with
// the fewest guests so far for its free seats, the first among equals. The
// shows thus sell out at about the same time, rather than the small ones
// first, and a run of one show sends every guest to it.
func nextShow(shows []OnsaleShow) int {
	best := 0
	for i, s := range shows {
		// Guests per free seat, compared crosswise; a show with none free
		// counts one, so that it still gets a guest now and then.
		if s.Guests*max(shows[best].Free, 1) < shows[best].Guests*max(s.Free, 1) {
			best = i
		}
	}
	return best
}

// checkShows checks each show's final state against the history of the
// guests who wrote to it: seat ids repeat across the shows of a hall, so a
// show's history is its own. The figures are summed over the shows, and a
// violation names its show when there are several. It returns each show's
// final state, in the order of shows, for leaveClean.
func checkShows(ctx context.Context, c *caller, shows []showMap, writers []*writer) (*Invariant, []FinalState, error) {
	byShow := map[string][]*writer{}
	for _, w := range writers {
		byShow[w.show] = append(byShow[w.show], w)
	}
	inv := &Invariant{Violations: []string{}}
	finals := make([]FinalState, len(shows))
	for i, s := range shows {
		one, final, err := checkFinal(ctx, c, s, byShow[s.ID])
		if err != nil {
			return nil, nil, fmt.Errorf("show %s: %w", s.ID, err)
		}
		delete(byShow, s.ID)
		finals[i] = final
		inv.Operations += one.Operations
		inv.Seats += one.Seats
		inv.Unverified += one.Unverified
		for _, v := range one.Violations {
			if len(shows) > 1 {
				v = "show " + s.ID + ": " + v
			}
			inv.Violations = append(inv.Violations, v)
		}
	}
	// A history no show's check read would pass unseen.
	for _, show := range slices.Sorted(maps.Keys(byShow)) {
		for _, w := range byShow[show] {
			if len(w.ops) > 0 {
				inv.Violations = append(inv.Violations, fmt.Sprintf("guest %d wrote to show %s, which the run does not check", w.id, show))
			}
		}
	}
	return inv, finals, nil
}
