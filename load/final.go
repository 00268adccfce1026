package load

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// judge checks each show's final state against the history of the guests
// who wrote to it and says whether the run failed: a violation, a watcher
// that saw a version skipped, or no operation that succeeded at all.
func judge(ctx context.Context, cfg Config, rep *Report, boss *caller, shows []showMap, writers []*writer, failed int64) error {
	if len(writers) > 0 && cfg.Check {
		inv, finals, err := checkShows(ctx, boss, shows, writers)
		if err != nil {
			return fmt.Errorf("reading the final state: %w", err)
		}
		for i, s := range shows {
			if err := leaveClean(ctx, s.ID, writers, finals[i]); err != nil {
				rep.Notes = append(rep.Notes, fmt.Sprintf("releasing the guests' seats of show %s after the run: %v", s.ID, err))
			}
		}
		rep.Invariant = inv
		if len(inv.Violations) > 0 {
			return ErrViolations
		}
	}
	if rep.Watch != nil && rep.Watch.Gaps > 0 {
		return fmt.Errorf("watchers saw %d events skip a version: %w", rep.Watch.Gaps, ErrViolations)
	}
	if ok := slices.ContainsFunc(rep.Rows, func(r Row) bool { return r.OK > 0 }); !ok && failed > 0 {
		return fmt.Errorf("no operation succeeded against %s (%d errors)", boss.base, failed)
	}
	return nil
}

// checkFinal reads the show as each writing guest and as nobody, and checks
// the writers' history against it.
func checkFinal(ctx context.Context, c *caller, before showMap, writers []*writer) (*Invariant, FinalState, error) {
	show := before.ID
	final := FinalState{Mine: map[string][]int{}, Booked: map[string]bool{}, Before: map[string]bool{}}
	for _, s := range before.Seats {
		if s.Status != "free" {
			final.Before[s.ID] = true
		}
	}
	var anon showMap
	if err := c.getJSON(ctx, showPath(show), &anon); err != nil {
		return nil, final, err
	}
	for _, s := range anon.Seats {
		if s.Status != "free" {
			final.Booked[s.ID] = true
		}
	}
	var ops []Op
	inv := &Invariant{Violations: []string{}}
	for _, w := range writers {
		if len(w.ops) == 0 {
			// A guest who never wrote holds nothing; a seat the server gave
			// it anyway is found held by a guest the run does not know.
			// Onsale's sold-out guests are most of its guests.
			continue
		}
		var m showMap
		g := caller{hc: c.hc, base: c.base, token: w.c.token}
		if err := g.getJSON(ctx, showPath(show), &m); err != nil {
			return nil, final, err
		}
		if m.Version != anon.Version {
			inv.Violations = append(inv.Violations, fmt.Sprintf(
				"the show changed while its final state was read (version %d, then %d): another client writes to it, so the check cannot hold",
				anon.Version, m.Version))
		}
		for _, s := range m.Seats {
			if s.Status == "mine" {
				final.Mine[s.ID] = append(final.Mine[s.ID], w.id)
			}
		}
		ops = append(ops, w.ops...)
	}
	v, unverified := Check(ops, final)
	inv.Violations = append(inv.Violations, v...)
	inv.Operations, inv.Unverified = len(ops), unverified
	seats := map[string]bool{}
	for _, op := range ops {
		for _, s := range op.Seats {
			seats[s] = true
		}
	}
	inv.Seats = len(seats)
	return inv, final, nil
}

// leaveClean releases the seats the guests hold at the end of show, so that
// the next run on the same server starts from the same free seats. Each
// guest releases its own from its own source address, waiting as long as a
// limit asks. writers are every guest of the run, guest i at index i, as
// final names them.
func leaveClean(ctx context.Context, show string, writers []*writer, final FinalState) error {
	for seat, guests := range final.Mine {
		for _, g := range guests {
			w := caller{hc: writers[g].c.hc, base: writers[g].c.base, token: writers[g].c.token}
			status, err := w.do(ctx, http.MethodDelete, seatPath(show, seat), nil)
			for err == nil && isLimited(status) {
				select {
				case <-time.After(retryAfter(w.header)):
				case <-ctx.Done():
					return fmt.Errorf("seat %s: status %d until %w", seat, status, ctx.Err())
				}
				status, err = w.do(ctx, http.MethodDelete, seatPath(show, seat), nil)
			}
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("seat %s: status %d", seat, status)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
