package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"boxoffice"
)

// Book makes the seats the guest's, all or nothing.
func (s *Store) Book(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.apply(ctx, show, seats, guest, true)
}

// Release frees the guest's seats among those listed, all or nothing.
func (s *Store) Release(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.apply(ctx, show, seats, guest, false)
}

// apply runs a booking (book) or a release as one write transaction: check
// the request against the show, change the booking rows, then bump the show's
// version once and log one change row per seat at that version.
func (s *Store) apply(ctx context.Context, id boxoffice.ShowID, seats []boxoffice.SeatID,
	guest boxoffice.Guest, book bool) (boxoffice.Change, error) {
	name := "release"
	if book {
		name = "book"
	}
	// Bad requests are refused before they wait for the writer.
	seats, err := boxoffice.CheckSeats(seats)
	if err != nil {
		return boxoffice.Change{}, err
	}
	if guest == "" {
		// An empty holder reads as a free seat (boxoffice.StatusFor).
		return boxoffice.Change{}, boxoffice.Errorf(boxoffice.EINVALID, "No guest given")
	}

	tx, err := s.beginWrite(ctx)
	if err != nil {
		return boxoffice.Change{}, dbError(name, err)
	}
	// Rolls back every early return; a no-op after Commit.
	defer tx.Rollback()

	show, version, err := s.findShow(ctx, tx, id)
	if err != nil {
		return boxoffice.Change{}, err
	}
	now := s.opts.Now()
	if !show.OpenAt(now) {
		return boxoffice.Change{}, boxoffice.Errorf(boxoffice.ECLOSED, "Sales for %s closed when the show started", show.Title)
	}
	var unknown []boxoffice.SeatID
	for _, seat := range seats {
		if !show.Hall.Layout.Has(seat) {
			unknown = append(unknown, seat)
		}
	}
	if len(unknown) > 0 {
		return boxoffice.Change{}, boxoffice.UnknownSeatsError(id, unknown)
	}

	// The write lock is held since BEGIN IMMEDIATE, so nobody else can take
	// version+1 before this transaction ends.
	next, at := version+1, millis(now)
	// Rows changed before a seat is refused are undone by the rollback.
	var changed, refused []boxoffice.SeatID
	if book {
		changed, refused, err = bookSeats(ctx, tx, id, seats, guest, next, at)
	} else {
		changed, refused, err = releaseSeats(ctx, tx, id, seats, guest)
	}
	if err != nil {
		return boxoffice.Change{}, dbError(name, err)
	}
	switch {
	case len(refused) > 0 && book:
		return boxoffice.Change{}, boxoffice.TakenError(refused)
	case len(refused) > 0:
		return boxoffice.Change{}, boxoffice.NotYoursError(refused)
	}
	if len(changed) == 0 {
		return boxoffice.Change{Show: id, Version: version}, nil
	}

	c := boxoffice.Change{Show: id, Version: next, At: fromMillis(at)}
	if _, err := tx.ExecContext(ctx, `UPDATE shows SET version = ? WHERE id = ?`, next, id); err != nil {
		return boxoffice.Change{}, dbError(name, err)
	}
	logged, err := tx.PrepareContext(ctx, `INSERT INTO changes (show_id, version, seq, seat_id, state, holder, by_guest, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return boxoffice.Change{}, dbError(name, err)
	}
	defer logged.Close()
	for i, seat := range changed {
		sc := boxoffice.SeatChange{Seat: seat, By: guest}
		state, holder := "free", sql.NullString{}
		if book {
			sc.Holder = guest
			state, holder = "booked", sql.NullString{String: string(guest), Valid: true}
		}
		if _, err := logged.ExecContext(ctx, id, next, i, seat, state, holder, guest, at); err != nil {
			return boxoffice.Change{}, dbError(name, err)
		}
		c.Seats = append(c.Seats, sc)
	}
	if err := tx.Commit(); err != nil {
		return boxoffice.Change{}, dbError(name, err)
	}
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(id, next)
	}
	return c, nil
}

// bookSeats inserts a row per seat and lets the primary key decide: a seat
// that is already held keeps its row, and its holder tells whether that is
// the guest (nothing to do) or someone else (refused). Inserting first rather
// than checking first leaves no gap between the check and the write.
func bookSeats(ctx context.Context, tx *sql.Tx, show boxoffice.ShowID, seats []boxoffice.SeatID,
	guest boxoffice.Guest, version, at int64) (changed, refused []boxoffice.SeatID, err error) {
	return changeEach(ctx, tx, show, seats,
		`INSERT INTO bookings (show_id, seat_id, holder, version, booked_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (show_id, seat_id) DO NOTHING`,
		func(seat boxoffice.SeatID) []any { return []any{show, seat, guest, version, at} },
		func(holder boxoffice.Guest) bool { return holder != guest })
}

// releaseSeats deletes the guest's rows; a seat whose row survives is held by
// someone else (refused) or was free already (nothing to do).
func releaseSeats(ctx context.Context, tx *sql.Tx, show boxoffice.ShowID, seats []boxoffice.SeatID,
	guest boxoffice.Guest) (changed, refused []boxoffice.SeatID, err error) {
	return changeEach(ctx, tx, show, seats,
		`DELETE FROM bookings WHERE show_id = ? AND seat_id = ? AND holder = ?`,
		func(seat boxoffice.SeatID) []any { return []any{show, seat, guest} },
		func(holder boxoffice.Guest) bool { return holder != "" })
}

// changeEach runs query once per seat with args(seat). A seat whose row it
// changed is changed; for any other, the seat's holder decides: refused if
// refuse(holder), else there was nothing to do.
func changeEach(ctx context.Context, tx *sql.Tx, show boxoffice.ShowID, seats []boxoffice.SeatID, query string,
	args func(boxoffice.SeatID) []any, refuse func(boxoffice.Guest) bool) (changed, refused []boxoffice.SeatID, err error) {
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	defer stmt.Close()
	for _, seat := range seats {
		res, err := stmt.ExecContext(ctx, args(seat)...)
		if err != nil {
			return nil, nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, nil, err
		} else if n == 1 {
			changed = append(changed, seat)
			continue
		}
		holder, err := holderOf(ctx, tx, show, seat)
		if err != nil {
			return nil, nil, err
		}
		if refuse(holder) {
			refused = append(refused, seat)
		}
	}
	return changed, refused, nil
}

// holderOf returns who holds the seat, "" when it is free.
func holderOf(ctx context.Context, tx *sql.Tx, show boxoffice.ShowID, seat boxoffice.SeatID) (boxoffice.Guest, error) {
	var holder boxoffice.Guest
	err := tx.QueryRowContext(ctx, `SELECT holder FROM bookings WHERE show_id = ? AND seat_id = ?`, show, seat).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return holder, err
}
