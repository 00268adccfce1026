package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"

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
	rows, err := tx.QueryContext(ctx, `SELECT seat_id, holder, booked_at FROM bookings WHERE show_id = ?`, id)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var list []boxoffice.Booking
	for rows.Next() {
		var (
			b  boxoffice.Booking
			at int64
		)
		if err := rows.Scan(&b.Seat, &b.Guest, &at); err != nil {
			return nil, dbError(op, err)
		}
		b.BookedAt = fromMillis(at)
		list = append(list, b)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	inHallOrder(&show.Hall.Layout, list, func(b boxoffice.Booking) boxoffice.SeatID { return b.Seat })
	return list, nil
}

// ReleaseSeats frees the listed seats whoever holds them, in one change.
// Unlike a guest's release it is not bounded by MaxSeatsPerRequest (an
// operator may free a whole hall), nor stopped by closed sales or a show
// that has started: only a cancelled show refuses it.
func (s *Store) ReleaseSeats(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID) (boxoffice.Change, error) {
	seats, err := operatorSeats(seats)
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

// operatorSeats checks an operator's seat list before it waits for the
// writer: at least one seat, repeats dropped (keeping the first), with a
// map rather than CheckSeats's scan, since the list may be a hall long.
func operatorSeats(seats []boxoffice.SeatID) ([]boxoffice.SeatID, error) {
	if len(seats) == 0 {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "Name at least one seat")
	}
	seen := make(map[boxoffice.SeatID]bool, len(seats))
	out := make([]boxoffice.SeatID, 0, len(seats))
	for _, seat := range seats {
		if !seen[seat] {
			seen[seat] = true
			out = append(out, seat)
		}
	}
	return out, nil
}

// operatorAdmits checks an operator's release against the show as the
// writer read it: refused on a cancelled show (its seats went with it), a
// list longer than the hall, or seats the hall lacks (named).
func operatorAdmits(show boxoffice.Show, seats []boxoffice.SeatID) error {
	if show.SalesState() == boxoffice.SalesCancelled {
		return boxoffice.Errorf(boxoffice.ECANCELLED, "%s has been cancelled", show.Title)
	}
	if n := len(show.Hall.Layout.Seats); len(seats) > n {
		return boxoffice.Errorf(boxoffice.EINVALID, "The hall of %s has %d seats; %d were named", show.Title, n, len(seats))
	}
	var unknown []boxoffice.SeatID
	for _, seat := range seats {
		if !show.Hall.Layout.Has(seat) {
			unknown = append(unknown, seat)
		}
	}
	if len(unknown) > 0 {
		return boxoffice.UnknownSeatsError(show.ID, unknown)
	}
	return nil
}

// freeIn runs an operator's release inside the writer's transaction: the
// listed seats (o.seats), or without a list every seat of o.guest, are
// freed at the show's next version, each logged as by its former holder.
func (b *batch) freeIn(ctx context.Context, o *op) (boxoffice.Change, error) {
	st, err := b.show(ctx, o.show)
	if err != nil {
		return boxoffice.Change{}, err
	}
	if err := operatorAdmits(st.show, o.seats); err != nil {
		return boxoffice.Change{}, err
	}
	var freed []boxoffice.SeatChange
	if o.seats == nil {
		freed, err = b.freeGuest(ctx, o.show, o.guest)
		inHallOrder(&st.show.Hall.Layout, freed, func(sc boxoffice.SeatChange) boxoffice.SeatID { return sc.Seat })
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

// inHallOrder sorts items by their seats' places in the layout, row by row
// and left to right ("A2" before "A10"); seats the layout lacks, which the
// programme's rules keep from being held, would go last, by id.
func inHallOrder[T any](l *boxoffice.Layout, items []T, seat func(T) boxoffice.SeatID) {
	index := make(map[boxoffice.SeatID]int, len(l.Seats))
	for i, s := range l.Seats {
		index[s.ID] = i
	}
	place := func(id boxoffice.SeatID) int {
		if i, ok := index[id]; ok {
			return i
		}
		return len(l.Seats)
	}
	slices.SortStableFunc(items, func(a, b T) int {
		sa, sb := seat(a), seat(b)
		return cmp.Or(cmp.Compare(place(sa), place(sb)), cmp.Compare(sa, sb))
	})
}
