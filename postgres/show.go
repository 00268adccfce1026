package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// Shows lists every show by start time, with the number of seats held;
// cancelled shows are gone from the guests' programme.
func (s *Store) Shows(ctx context.Context) ([]boxoffice.ShowSummary, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `
		SELECT s.id, s.revision, (SELECT count(*) FROM bookings b WHERE b.show_id = s.id)
		FROM shows s
		WHERE s.sales <> 'cancelled'
		ORDER BY s.starts_at, s.id`)
	type row struct {
		ID       boxoffice.ShowID
		Revision int64
		Booked   int
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return nil, dbError(ctx, "list shows", err)
	}
	out := make([]boxoffice.ShowSummary, len(list))
	for i, r := range list {
		show, err := s.showAt(ctx, r.ID, r.Revision)
		if err != nil {
			return nil, err
		}
		out[i] = boxoffice.ShowSummary{Show: show, Booked: r.Booked}
	}
	return out, nil
}

// Show returns one show with its hall, as the database has it now: another
// instance may have changed it. While the store listens (Listen), every
// programme change, on any instance, reaches it as a notification, so a
// cached show is the database's but for the moment a notification takes
// (as the live seat map is), and costs no round trip: every seat write
// reads its show first. Otherwise it reads.
func (s *Store) Show(ctx context.Context, id boxoffice.ShowID) (boxoffice.Show, error) {
	if show, ok := s.heardShow(id); ok {
		return show, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.readShow(ctx, id)
}

// heardShow returns the cached show if the store listens and has heard of
// no later revision of it.
func (s *Store) heardShow(id boxoffice.ShowID) (boxoffice.Show, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.shows[id]
	if !ok || !s.listening || c.revision < s.revised[id] {
		return boxoffice.Show{}, false
	}
	return c.show, true
}

// revise records a programme change of show id to revision, heard from any
// instance: a cached show older than that is dropped, and one read later
// from an older snapshot is not cached.
func (s *Store) revise(id boxoffice.ShowID, revision int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if revision > s.revised[id] {
		s.revised[id] = revision
	}
	if c, ok := s.shows[id]; ok && c.revision < revision {
		delete(s.shows, id)
	}
}

// hearing says whether programme changes are heard from now on: when the
// listener starts listening (after a gap in which some may have gone
// unheard, so that nothing cached before is trusted) and when it stops.
func (s *Store) hearing(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listening = on
	s.epoch++
	clear(s.shows)
}

// SeatMap reads the show's version and its holders in one statement, and so
// in one snapshot: the holders are exactly those of that version.
func (s *Store) SeatMap(ctx context.Context, id boxoffice.ShowID) (boxoffice.SeatMap, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	m := boxoffice.SeatMap{Holders: map[boxoffice.SeatID]boxoffice.Guest{}}
	rows, _ := s.pool.Query(ctx, `
		SELECT s.version, s.revision, b.seat_id, b.holder
		FROM shows s LEFT JOIN bookings b ON b.show_id = s.id
		WHERE s.id = $1`, id)
	var (
		found        bool
		revision     int64
		seat, holder *string
	)
	_, err := pgx.ForEachRow(rows, []any{&m.Version, &revision, &seat, &holder}, func() error {
		found = true
		if seat != nil {
			m.Holders[boxoffice.SeatID(*seat)] = boxoffice.Guest(*holder)
		}
		return nil
	})
	if err != nil {
		return boxoffice.SeatMap{}, dbError(ctx, "read seat map", err)
	} else if !found {
		return boxoffice.SeatMap{}, showNotFound(id)
	}
	if m.Show, err = s.showAt(ctx, id, revision); err != nil {
		return boxoffice.SeatMap{}, err
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
	// A programme change is a row of programme_changes with no seat.
	rows, _ := s.pool.Query(ctx, `
		SELECT s.version, s.log_floor, c.version, c.seat_id, c.holder, c.by_guest, c.at
		FROM shows s LEFT JOIN (
			SELECT show_id, version, seq, seat_id, holder, by_guest, at FROM changes
			UNION ALL
			SELECT show_id, version, -1, NULL, NULL, NULL, at FROM programme_changes
		) c ON c.show_id = s.id AND s.log_floor <= $2 AND c.version > $2 AND c.version <= $3
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
		if seat == nil {
			list = append(list, boxoffice.Change{Show: id, Version: *v, At: at.UTC(), Programme: true})
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
		// A show is forgotten once: afterwards its floor is its version,
		// no holder is a guest and no ticket leads to one. The floor moves
		// to the version, so every reader that still wants a change of it
		// is told the history is gone.
		rows, _ := tx.Query(ctx, `
			SELECT id FROM shows
			WHERE starts_at < $1 AND (log_floor < version OR EXISTS (
				SELECT FROM bookings b WHERE b.show_id = shows.id AND b.holder <> $2) OR EXISTS (
				SELECT FROM tickets t WHERE t.show_id = shows.id))
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
			), programme AS (
				DELETE FROM programme_changes WHERE show_id = ANY ($1)
			), unticketed AS (
				DELETE FROM tickets WHERE show_id = ANY ($1)
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

// cachedShow is a show and its hall as read at a revision (the version of
// the show's last programme change).
type cachedShow struct {
	show     boxoffice.Show
	revision int64
}

// showAt returns the show at revision (or later) with its hall: from the
// cache when it holds that revision, which spares parsing the layout, else
// read afresh. Every programme change of a show or its hall, on any
// instance, gives the show a new revision, so a caller that read the
// revision from the database never gets an older show.
func (s *Store) showAt(ctx context.Context, id boxoffice.ShowID, revision int64) (boxoffice.Show, error) {
	s.mu.RLock()
	c, ok := s.shows[id]
	s.mu.RUnlock()
	if ok && c.revision >= revision {
		return c.show, nil
	}
	return s.readShow(ctx, id)
}

// cachedOrRead returns the cached show, whatever its revision, or reads it
// (cached says which): for a booking, whose batch checks the revision under
// the show's lock.
func (s *Store) cachedOrRead(ctx context.Context, id boxoffice.ShowID) (show boxoffice.Show, revision int64, cached bool, err error) {
	s.mu.RLock()
	c, ok := s.shows[id]
	s.mu.RUnlock()
	if ok {
		return c.show, c.revision, true, nil
	}
	show, revision, err = s.readShowRevision(ctx, id)
	return show, revision, false, err
}

// readShow reads the show and its hall from the database; the layout is
// parsed only when the show's revision is not the cached one.
func (s *Store) readShow(ctx context.Context, id boxoffice.ShowID) (boxoffice.Show, error) {
	show, _, err := s.readShowRevision(ctx, id)
	return show, err
}

func (s *Store) readShowRevision(ctx context.Context, id boxoffice.ShowID) (boxoffice.Show, int64, error) {
	return s.readShowWith(ctx, s.pool, id)
}

// rowQuerier is what reading one row takes: the pool, or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// showIn is showAt reading through q: a caller that holds a connection,
// in a transaction that holds a lock, must not wait for a second one from
// a pool that others waiting for the lock may have taken.
func (s *Store) showIn(ctx context.Context, q rowQuerier, id boxoffice.ShowID, revision int64) (boxoffice.Show, error) {
	s.mu.RLock()
	c, ok := s.shows[id]
	s.mu.RUnlock()
	if ok && c.revision >= revision {
		return c.show, nil
	}
	show, _, err := s.readShowWith(ctx, q, id)
	return show, err
}

// readShowWith reads the show and its hall through q.
func (s *Store) readShowWith(ctx context.Context, q rowQuerier, id boxoffice.ShowID) (boxoffice.Show, int64, error) {
	show := boxoffice.Show{ID: id}
	var (
		src      string
		revision int64
	)
	// A show read from a snapshot older than the listener's restart must
	// not be cached (see hearing); one older than a revision heard is
	// cached but not trusted by heardShow.
	s.mu.RLock()
	epoch := s.epoch
	s.mu.RUnlock()
	err := q.QueryRow(ctx, `
		SELECT s.title, s.starts_at, s.sales, s.max_seats_per_guest, s.revision, h.id, h.name, h.layout
		FROM shows s JOIN halls h ON h.id = s.hall_id
		WHERE s.id = $1`, id).Scan(&show.Title, &show.StartsAt, &show.Sales, &show.MaxSeatsPerGuest, &revision,
		&show.Hall.ID, &show.Hall.Name, &src)
	if errors.Is(err, pgx.ErrNoRows) {
		return boxoffice.Show{}, 0, showNotFound(id)
	} else if err != nil {
		return boxoffice.Show{}, 0, dbError(ctx, "find show", err)
	}
	show.StartsAt = show.StartsAt.UTC()
	s.mu.RLock()
	c, ok := s.shows[id]
	s.mu.RUnlock()
	if ok && c.revision == revision {
		return c.show, revision, nil
	}
	if show.Hall.Layout, err = boxoffice.ParseLayout(src); err != nil {
		return boxoffice.Show{}, 0, fmt.Errorf("postgres: hall %q: stored layout: %w", show.Hall.ID, err)
	}
	s.mu.Lock()
	// A slower reader of an older revision must not put it back.
	if c, ok := s.shows[id]; (!ok || c.revision < revision) && epoch == s.epoch {
		s.shows[id] = cachedShow{show: show, revision: revision}
	}
	s.mu.Unlock()
	return show, revision, nil
}

// forget drops the cached shows that changed here, once committed.
func (s *Store) forget(ids []boxoffice.ShowID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.shows, id)
	}
}
