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
// statement sees each change whole or not at all, and sees the log's floor
// of the same snapshot as its rows.
func (s *Store) ChangesSince(ctx context.Context, id boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	if limit < 1 {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "Ask for at least one change, not %d", limit)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	after = max(after, 0)
	// Versions are consecutive above the floor and each has at least one
	// row, so a range of versions bounds the number of changes where LIMIT
	// would count rows. The show's row always comes back, with no change
	// when there is none to give: no row at all means no show.
	rows, _ := s.pool.Query(ctx, `
		SELECT s.version, s.log_floor, c.version, c.seat_id, c.holder, c.by_guest, c.at
		FROM shows s LEFT JOIN changes c
			ON c.show_id = s.id AND s.log_floor <= $2 AND c.version > $2 AND c.version <= $3
		WHERE s.id = $1
		ORDER BY c.version, c.seq`, id, after, after+int64(limit))
	var (
		list           []boxoffice.Change
		found          bool
		version, floor int64
		v              *int64
		seat, holder   *string
		by             *string
		at             *time.Time
	)
	_, err := pgx.ForEachRow(rows, []any{&version, &floor, &v, &seat, &holder, &by, &at}, func() error {
		found = true
		if v == nil {
			return nil
		}
		sc := boxoffice.SeatChange{Seat: boxoffice.SeatID(*seat), By: boxoffice.Guest(*by)}
		if holder != nil {
			sc.Holder = boxoffice.Guest(*holder)
		}
		if n := len(list); n == 0 || list[n-1].Version != *v {
			list = append(list, boxoffice.Change{Show: id, Version: *v, At: at.UTC()})
		}
		last := &list[len(list)-1]
		last.Seats = append(last.Seats, sc)
		return nil
	})
	switch {
	case err != nil:
		return nil, dbError(ctx, "read changes", err)
	case !found:
		return nil, showNotFound(id)
	case after < floor && after < version:
		return nil, boxoffice.HistoryGoneError(id, after, floor)
	}
	return list, nil
}

// ForgetHistory deletes the change log of every show that started before
// startedBefore and hands its bookings to boxoffice.ForgottenGuest, in one
// transaction. It locks the shows' rows in id order, as every batch of
// bookings does, so the two never deadlock; the shows have started, so no
// booking of theirs is in flight anyway.
func (s *Store) ForgetHistory(ctx context.Context, startedBefore time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, "forget history", func(ctx context.Context, tx pgx.Tx) error {
		// A show is forgotten once: afterwards its floor is its version and
		// no holder is a guest. The floor moves to the version, so every
		// reader that still wants a change of it is told the history is
		// gone.
		rows, _ := tx.Query(ctx, `
			SELECT id FROM shows
			WHERE starts_at < $1 AND (log_floor < version OR EXISTS (
				SELECT FROM bookings b WHERE b.show_id = shows.id AND b.holder <> $2))
			ORDER BY id FOR NO KEY UPDATE`, startedBefore, boxoffice.ForgottenGuest)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		_, err = tx.Exec(ctx, `
			WITH dropped AS (
				DELETE FROM changes WHERE show_id = ANY ($1)
			), compacted AS (
				DELETE FROM compacted_changes WHERE show_id = ANY ($1)
			), untraced AS (
				UPDATE bookings SET holder = $2 WHERE show_id = ANY ($1) AND holder <> $2
			)
			UPDATE shows SET log_floor = version WHERE id = ANY ($1)`, ids, boxoffice.ForgottenGuest)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
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
