package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"boxoffice"
)

// The door list and the operator's releases. An operator's release goes
// through the writer like a guest's (an op with operator set), so it takes
// its version in turn with the bookings around it, is compacted, made
// durable and announced (OnCommit) the same way, and a booking answered
// before it is one it may free, never one it misses.

// Bookings returns the show's held seats with their holders, in hall order,
// read in one snapshot with the show. A cancelled show's list is still
// there for the operator to read.
func (s *Store) Bookings(ctx context.Context, id boxoffice.ShowID) ([]boxoffice.Booking, error) {
	const op = "read the door list"
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer tx.Rollback()
	show, _, err := s.findShow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT b.seat_id, b.holder, b.booked_at, t.admitted_at
		FROM bookings b LEFT JOIN tickets t ON t.show_id = b.show_id AND t.guest = b.holder
		WHERE b.show_id = ?`, id)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var list []boxoffice.Booking
	for rows.Next() {
		var (
			b        boxoffice.Booking
			at       int64
			admitted sql.NullInt64
		)
		if err := rows.Scan(&b.Seat, &b.Guest, &at, &admitted); err != nil {
			return nil, dbError(op, err)
		}
		b.BookedAt = fromMillis(at)
		if admitted.Valid {
			b.AdmittedAt = fromMillis(admitted.Int64)
		}
		list = append(list, b)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	boxoffice.InHallOrder(&show.Hall.Layout, list, func(b boxoffice.Booking) boxoffice.SeatID { return b.Seat })
	return list, nil
}

// ReleaseSeats frees the listed seats whoever holds them, in one change.
// Unlike a guest's release it is not bounded by MaxSeatsPerRequest (an
// operator may free a whole hall), nor stopped by closed sales or a show
// that has started: only a cancelled show refuses it.
func (s *Store) ReleaseSeats(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID) (boxoffice.Change, error) {
	seats, err := boxoffice.CheckOperatorSeats(seats)
	if err != nil {
		return boxoffice.Change{}, err
	}
	return s.submit(ctx, &op{show: show, seats: seats, operator: true})
}

// ReleaseGuest frees every seat guest holds in the show, in one change,
// whether sales are open or not.
func (s *Store) ReleaseGuest(ctx context.Context, show boxoffice.ShowID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.submit(ctx, &op{show: show, guest: guest, operator: true})
}

// freeIn runs an operator's release inside the writer's transaction: the
// listed seats (o.seats), or without a list every seat of o.guest, are
// freed at the show's next version, each logged as by its former holder.
func (b *batch) freeIn(ctx context.Context, o *op) (boxoffice.Change, error) {
	st, err := b.show(ctx, o.show)
	if err != nil {
		return boxoffice.Change{}, err
	}
	if err := st.show.AdmitOperator(o.seats); err != nil {
		return boxoffice.Change{}, err
	}
	var freed []boxoffice.SeatChange
	if o.seats == nil {
		freed, err = b.freeGuest(ctx, o.show, o.guest)
		boxoffice.InHallOrder(&st.show.Hall.Layout, freed, func(sc boxoffice.SeatChange) boxoffice.SeatID { return sc.Seat })
	} else {
		freed, err = b.freeSeats(ctx, o.show, o.seats)
	}
	if err != nil {
		return boxoffice.Change{}, dbError(o.name(), err)
	}
	if len(freed) == 0 {
		return boxoffice.Change{Show: o.show, Version: st.version}, nil
	}
	next, at := st.version+1, millis(b.store.opts.Now())
	for i, sc := range freed {
		if _, err := b.stmts.log.ExecContext(ctx, o.show, next, i, sc.Seat, "free", sql.NullString{}, sc.By, at); err != nil {
			return boxoffice.Change{}, dbError(o.name(), err)
		}
	}
	return boxoffice.Change{Show: o.show, Version: next, At: fromMillis(at), Seats: freed}, nil
}

// freeSeats deletes the seats' rows, in the order listed, and returns those
// that were held, by their holders. RETURNING does the delete at the first
// step, so reading one row is enough.
func (b *batch) freeSeats(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID) ([]boxoffice.SeatChange, error) {
	var freed []boxoffice.SeatChange
	for _, seat := range seats {
		var holder boxoffice.Guest
		err := b.tx.QueryRowContext(ctx, `DELETE FROM bookings WHERE show_id = ? AND seat_id = ? RETURNING holder`,
			show, seat).Scan(&holder)
		if errors.Is(err, sql.ErrNoRows) {
			continue // free already
		} else if err != nil {
			return nil, err
		}
		freed = append(freed, boxoffice.SeatChange{Seat: seat, By: holder})
	}
	return freed, nil
}

// freeGuest deletes every row of guest in the show and returns the seats.
func (b *batch) freeGuest(ctx context.Context, show boxoffice.ShowID, guest boxoffice.Guest) ([]boxoffice.SeatChange, error) {
	rows, err := b.tx.QueryContext(ctx, `DELETE FROM bookings WHERE show_id = ? AND holder = ? RETURNING seat_id`, show, guest)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var freed []boxoffice.SeatChange
	for rows.Next() {
		sc := boxoffice.SeatChange{By: guest}
		if err := rows.Scan(&sc.Seat); err != nil {
			return nil, err
		}
		freed = append(freed, sc)
	}
	return freed, rows.Err()
}
