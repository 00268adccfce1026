package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"boxoffice"
)

// queryer is what the find helpers need from a transaction, so that they
// compose inside read and write transactions alike.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Shows lists every show by start time, with the number of seats held;
// cancelled shows are gone from the guests' programme.
func (s *Store) Shows(ctx context.Context) ([]boxoffice.ShowSummary, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, dbError("list shows", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `
		SELECT s.id, `+showColumns+`,
		       (SELECT count(*) FROM bookings b WHERE b.show_id = s.id)
		FROM shows s
		WHERE s.sales <> 'cancelled'
		ORDER BY s.starts_at, s.id`)
	if err != nil {
		return nil, dbError("list shows", err)
	}
	defer rows.Close()
	type row struct {
		show   showRow
		booked int
	}
	var found []row
	for rows.Next() {
		var r row
		if err := rows.Scan(append([]any{&r.show.ID}, append(r.show.dest(), &r.booked)...)...); err != nil {
			return nil, dbError("list shows", err)
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list shows", err)
	}
	rows.Close()
	list := make([]boxoffice.ShowSummary, len(found))
	for i, r := range found {
		show, err := s.cache(ctx, tx, r.show)
		if err != nil {
			return nil, err
		}
		list[i] = boxoffice.ShowSummary{Show: show, Booked: r.booked}
	}
	return list, nil
}

// Show returns one show with its hall: from memory, once read.
func (s *Store) Show(ctx context.Context, id boxoffice.ShowID) (boxoffice.Show, error) {
	if show, ok := s.cached(id); ok {
		return show, nil
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return boxoffice.Show{}, dbError("find show", err)
	}
	defer tx.Rollback()
	show, _, err := s.findShow(ctx, tx, id)
	return show, err
}

// SeatMap reads the show's version and its holders in one snapshot, so the
// holders are exactly those of that version.
func (s *Store) SeatMap(ctx context.Context, id boxoffice.ShowID) (boxoffice.SeatMap, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return boxoffice.SeatMap{}, dbError("read seat map", err)
	}
	defer tx.Rollback()

	show, version, err := s.findShow(ctx, tx, id)
	if err != nil {
		return boxoffice.SeatMap{}, err
	}
	m := boxoffice.SeatMap{Show: show, Version: version, Holders: map[boxoffice.SeatID]boxoffice.Guest{}}
	rows, err := tx.QueryContext(ctx, `SELECT seat_id, holder FROM bookings WHERE show_id = ?`, id)
	if err != nil {
		return boxoffice.SeatMap{}, dbError("read seat map", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seat boxoffice.SeatID
		var holder boxoffice.Guest
		if err := rows.Scan(&seat, &holder); err != nil {
			return boxoffice.SeatMap{}, dbError("read seat map", err)
		}
		m.Holders[seat] = holder
	}
	if err := rows.Err(); err != nil {
		return boxoffice.SeatMap{}, dbError("read seat map", err)
	}
	return m, nil
}

// ChangesSince returns the changes after version after, oldest first.
func (s *Store) ChangesSince(ctx context.Context, id boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	if limit < 1 {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "Ask for at least one change, not %d", limit)
	}
	// Most calls come from the live hub and the seat-map cache asking
	// whether anything changed: one prepared statement, outside any
	// transaction, answers that.
	var version, floor int64
	err := s.versionOf.QueryRowContext(ctx, id).Scan(&version, &floor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, showNotFound(id)
	} else if err != nil {
		return nil, dbError("read changes", err)
	}
	if max(after, 0) >= version {
		return nil, nil
	}

	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, dbError("read changes", err)
	}
	defer tx.Rollback()
	// Read again in the transaction: the floor and the rows must be of one
	// snapshot, or a compaction in between could pass for a gap-free log.
	err = tx.QueryRowContext(ctx, `SELECT version, log_floor FROM shows WHERE id = ?`, id).Scan(&version, &floor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, showNotFound(id)
	} else if err != nil {
		return nil, dbError("read changes", err)
	}
	after = max(after, 0)
	if after >= version {
		return nil, nil
	}
	if after < floor {
		return nil, boxoffice.HistoryGoneError(id, after, floor)
	}
	// Versions are consecutive and each has at least one row (a seat's in
	// changes or a programme change's), so a range of
	// versions bounds the number of changes where LIMIT would count rows.
	upto := version
	if int64(limit) < version-after {
		upto = after + int64(limit)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT version, seq, seat_id, holder, by_guest, at FROM changes
		WHERE show_id = ?1 AND version > ?2 AND version <= ?3
		UNION ALL
		SELECT version, -1, NULL, NULL, NULL, at FROM programme_changes
		WHERE show_id = ?1 AND version > ?2 AND version <= ?3
		ORDER BY 1, 2`, id, after, upto)
	if err != nil {
		return nil, dbError("read changes", err)
	}
	defer rows.Close()
	var list []boxoffice.Change
	for rows.Next() {
		var (
			v, seq           int64
			seat, holder, by sql.NullString
			at               int64
		)
		if err := rows.Scan(&v, &seq, &seat, &holder, &by, &at); err != nil {
			return nil, dbError("read changes", err)
		}
		if !seat.Valid { // a programme change: its version has no seat rows
			list = append(list, boxoffice.Change{Show: id, Version: v, At: fromMillis(at), Programme: true})
			continue
		}
		sc := boxoffice.SeatChange{Seat: boxoffice.SeatID(seat.String), Holder: boxoffice.Guest(holder.String), By: boxoffice.Guest(by.String)}
		if n := len(list); n == 0 || list[n-1].Version != v {
			list = append(list, boxoffice.Change{Show: id, Version: v, At: fromMillis(at)})
		}
		last := &list[len(list)-1]
		last.Seats = append(last.Seats, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("read changes", err)
	}
	return list, nil
}

// showColumns are a show's own columns, in showRow.dest's order, as the
// readers and the writer select them (s is the shows table).
const showColumns = `s.title, s.starts_at, s.hall_id, s.sales, s.max_seats_per_guest, s.revision`

// showRow is a show's row as read, before its hall is added.
type showRow struct {
	boxoffice.Show
	startsAt int64
	cap      sql.NullInt64
	revision int64
}

func (r *showRow) dest() []any {
	return []any{&r.Title, &r.startsAt, &r.Hall.ID, &r.Sales, &r.cap, &r.revision}
}

// findShow returns the show with its hall, and its current version.
func (s *Store) findShow(ctx context.Context, q queryer, id boxoffice.ShowID) (boxoffice.Show, int64, error) {
	show, version, _, err := s.findShowWith(ctx, q.QueryRowContext(ctx, writeSQL.show, id), q, id)
	return show, version, err
}

// findShowWith is findShow with the show's row already queried (by
// writeSQL.show), so the writer can use its prepared statement; it also
// returns the show's log floor.
func (s *Store) findShowWith(ctx context.Context, row *sql.Row, q queryer, id boxoffice.ShowID) (boxoffice.Show, int64, int64, error) {
	r := showRow{Show: boxoffice.Show{ID: id}}
	var version, floor int64
	err := row.Scan(append(r.dest(), &version, &floor)...)
	if errors.Is(err, sql.ErrNoRows) {
		return boxoffice.Show{}, 0, 0, showNotFound(id)
	} else if err != nil {
		return boxoffice.Show{}, 0, 0, dbError("find show", err)
	}
	show, err := s.cache(ctx, q, r)
	if err != nil {
		return boxoffice.Show{}, 0, 0, err
	}
	return show, version, floor, nil
}

// cachedShow is a show as cached, at the revision it was read at; a show of
// nil is a tombstone: the show changed at revision, read it afresh.
type cachedShow struct {
	show     *boxoffice.Show
	revision int64
}

// cache returns the show of the row r, with its hall: the cached one if it
// was read at r's revision, else r with its hall read and its layout parsed,
// which is then cached unless a newer revision is known. Every programme
// change of a show or its hall gives the show a new revision, so the cache
// never serves a show or hall older than the row read. This is the process's
// one cache of shows and halls: the web handler asks Show for them.
func (s *Store) cache(ctx context.Context, q queryer, r showRow) (boxoffice.Show, error) {
	s.mu.RLock()
	c, ok := s.shows[r.ID]
	s.mu.RUnlock()
	if ok && c.show != nil && c.revision == r.revision {
		return *c.show, nil
	}
	show := r.Show
	show.StartsAt = fromMillis(r.startsAt)
	if r.cap.Valid {
		n := int(r.cap.Int64)
		show.MaxSeatsPerGuest = &n
	}
	h := &show.Hall
	var src string
	err := q.QueryRowContext(ctx, `SELECT name, layout FROM halls WHERE id = ?`, h.ID).Scan(&h.Name, &src)
	if err != nil {
		// A show's hall is guarded by a foreign key: a missing one is a
		// broken database, not a caller's mistake.
		return boxoffice.Show{}, dbError(fmt.Sprintf("find hall %q", h.ID), err)
	}
	if h.Layout, err = boxoffice.ParseLayout(src); err != nil {
		return boxoffice.Show{}, fmt.Errorf("sqlite: hall %q: stored layout: %w", h.ID, err)
	}
	s.mu.Lock()
	// A reader whose snapshot began before a programme change commits
	// after it must not put the old show back.
	if c, ok := s.shows[r.ID]; !ok || c.revision <= r.revision {
		s.shows[r.ID] = cachedShow{show: &show, revision: r.revision}
	}
	s.mu.Unlock()
	return show, nil
}

// cached returns the show if it was read since its last programme change.
func (s *Store) cached(id boxoffice.ShowID) (boxoffice.Show, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.shows[id]
	if !ok || c.show == nil {
		return boxoffice.Show{}, false
	}
	return *c.show, true
}

// forget drops the cached shows that changed, once their change committed:
// a tombstone at the new revision, which only a read of that revision or a
// later one replaces.
func (s *Store) forget(revisions map[boxoffice.ShowID]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, rev := range revisions {
		s.shows[id] = cachedShow{revision: rev}
	}
}

func showNotFound(id boxoffice.ShowID) error {
	return boxoffice.Errorf(boxoffice.ENOTFOUND, "Show %q does not exist", id)
}
