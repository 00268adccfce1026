package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// Shows lists every show by start time, with the number of seats held.
func (s *Store) Shows(ctx context.Context) ([]boxoffice.ShowSummary, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `
		SELECT s.id, (SELECT count(*) FROM bookings b WHERE b.show_id = s.id)
		FROM shows s
		ORDER BY s.starts_at, s.id`)
	type row struct {
		ID     boxoffice.ShowID
		Booked int
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return nil, dbError(ctx, "list shows", err)
	}
	out := make([]boxoffice.ShowSummary, len(list))
	for i, r := range list {
		show, err := s.findShow(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out[i] = boxoffice.ShowSummary{Show: show, Booked: r.Booked}
	}
	return out, nil
}

// Show returns one show with its hall.
func (s *Store) Show(ctx context.Context, id boxoffice.ShowID) (boxoffice.Show, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.findShow(ctx, id)
}

// SeatMap reads the show's version and its holders in one statement, and so
// in one snapshot: the holders are exactly those of that version.
func (s *Store) SeatMap(ctx context.Context, id boxoffice.ShowID) (boxoffice.SeatMap, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	show, err := s.findShow(ctx, id)
	if err != nil {
		return boxoffice.SeatMap{}, err
	}
	m := boxoffice.SeatMap{Show: show, Holders: map[boxoffice.SeatID]boxoffice.Guest{}}
	rows, _ := s.pool.Query(ctx, `
		SELECT s.version, b.seat_id, b.holder
		FROM shows s LEFT JOIN bookings b ON b.show_id = s.id
		WHERE s.id = $1`, id)
	var seat, holder *string
	_, err = pgx.ForEachRow(rows, []any{&m.Version, &seat, &holder}, func() error {
		if seat != nil {
			m.Holders[boxoffice.SeatID(*seat)] = boxoffice.Guest(*holder)
		}
		return nil
	})
	if err != nil {
		return boxoffice.SeatMap{}, dbError(ctx, "read seat map", err)
	}
	return m, nil
}

// ChangesSince returns the changes after version after, oldest first. The
// rows of a version commit together with the show's version, so the one
// statement sees each change whole or not at all.
func (s *Store) ChangesSince(ctx context.Context, id boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	if limit < 1 {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "Ask for at least one change, not %d", limit)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	after = max(after, 0)
	// Versions are consecutive and each has at least one row, so a range of
	// versions bounds the number of changes where LIMIT would count rows.
	rows, _ := s.pool.Query(ctx, `
		SELECT version, seat_id, holder, by_guest, at FROM changes
		WHERE show_id = $1 AND version > $2 AND version <= $3
		ORDER BY version, seq`, id, after, after+int64(limit))
	var (
		list   []boxoffice.Change
		v      int64
		sc     boxoffice.SeatChange
		holder *string
		at     time.Time
	)
	_, err := pgx.ForEachRow(rows, []any{&v, &sc.Seat, &holder, &sc.By, &at}, func() error {
		sc.Holder = ""
		if holder != nil {
			sc.Holder = boxoffice.Guest(*holder)
		}
		if n := len(list); n == 0 || list[n-1].Version != v {
			list = append(list, boxoffice.Change{Show: id, Version: v, At: at.UTC()})
		}
		last := &list[len(list)-1]
		last.Seats = append(last.Seats, sc)
		return nil
	})
	if err != nil {
		return nil, dbError(ctx, "read changes", err)
	}
	if len(list) == 0 {
		// Nothing new, or no such show: only the second is an error.
		if _, err := s.findShow(ctx, id); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// findShow returns the show with its hall. Shows and halls never change once
// stored, so each is read and parsed once per Store.
func (s *Store) findShow(ctx context.Context, id boxoffice.ShowID) (boxoffice.Show, error) {
	s.mu.RLock()
	show, ok := s.shows[id]
	s.mu.RUnlock()
	if ok {
		return show, nil
	}
	show = boxoffice.Show{ID: id}
	var src string
	err := s.pool.QueryRow(ctx, `
		SELECT s.title, s.starts_at, h.id, h.name, h.layout
		FROM shows s JOIN halls h ON h.id = s.hall_id
		WHERE s.id = $1`, id).Scan(&show.Title, &show.StartsAt, &show.Hall.ID, &show.Hall.Name, &src)
	if errors.Is(err, pgx.ErrNoRows) {
		return boxoffice.Show{}, showNotFound(id)
	} else if err != nil {
		return boxoffice.Show{}, dbError(ctx, "find show", err)
	}
	show.StartsAt = show.StartsAt.UTC()
	if show.Hall.Layout, err = boxoffice.ParseLayout(src); err != nil {
		return boxoffice.Show{}, fmt.Errorf("postgres: hall %q: stored layout: %w", show.Hall.ID, err)
	}
	s.mu.Lock()
	s.shows[id] = show
	s.mu.Unlock()
	return show, nil
}
