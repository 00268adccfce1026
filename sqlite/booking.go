package sqlite

import (
	"context"
	"database/sql"

	"boxoffice"
)

// Book makes the seats the guest's, all or nothing, if the guest then holds
// at most maxHeld seats of the show (maxHeld <= 0: any number).
func (s *Store) Book(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest, ticket boxoffice.TicketHash, maxHeld int) (boxoffice.Change, error) {
	return s.apply(ctx, &op{show: show, seats: seats, guest: guest, book: true, maxHeld: maxHeld, ticket: ticket})
}

// Release frees the guest's seats among those listed, all or nothing.
func (s *Store) Release(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.apply(ctx, &op{show: show, seats: seats, guest: guest})
}

// apply checks a booking or a release and queues it for the writer, which
// runs it in a batch (see writer.go) and answers once it is durable.
func (s *Store) apply(ctx context.Context, o *op) (boxoffice.Change, error) {
	// Bad requests are refused before they wait for the writer.
	seats, err := boxoffice.CheckRequest(o.seats, o.guest)
	if err != nil {
		return boxoffice.Change{}, err
	}
	o.seats = seats
	return s.submit(ctx, o)
}

// applyIn runs one op inside the writer's transaction: check it against the
// show, change the booking rows, and log one change row per seat at the
// show's next version. g is the guest as the batch found it: the seats it
// held before, for a booking with a cap (else -1), which the seats it adds
// must not take over the cap; its ticket, which once admitted fixes its
// seats, and which a booking that leaves it holding seats stores if missing.
func (b *batch) applyIn(ctx context.Context, o *op, g guestState) (boxoffice.Change, error) {
	if o.operator {
		return b.freeIn(ctx, o)
	}
	id, seats, guest, book, name := o.show, o.seats, o.guest, o.book, o.name()
	st, err := b.show(ctx, id)
	if err != nil {
		return boxoffice.Change{}, err
	}
	now := b.store.opts.Now()
	if err := st.show.Admit(seats, now); err != nil {
		return boxoffice.Change{}, err
	}
	if g.admitted {
		return boxoffice.Change{}, boxoffice.AdmittedError(st.show)
	}
	held := g.held

	// The writer holds the write lock since BEGIN IMMEDIATE and runs one op
	// at a time, so nobody else can take version+1 before this op ends.
	next, at := st.version+1, millis(now)
	// Rows changed before a seat is refused are undone by the rollback.
	var (
		changed, refused []boxoffice.SeatID
		admitted         bool
	)
	if book {
		changed, refused, admitted, err = b.changeEach(ctx, b.stmts.book, seats,
			func(seat boxoffice.SeatID) []any { return []any{id, seat, guest, next, at} },
			func(seat boxoffice.SeatID) *sql.Row { return b.stmts.holder.QueryRowContext(ctx, id, seat) },
			func(holder boxoffice.Guest) bool { return holder != guest })
	} else {
		changed, refused, admitted, err = b.changeEach(ctx, b.stmts.release, seats,
			func(seat boxoffice.SeatID) []any { return []any{id, seat, guest} },
			func(seat boxoffice.SeatID) *sql.Row {
				return b.stmts.releaseHolder.QueryRowContext(ctx, id, seat, guest)
			},
			func(holder boxoffice.Guest) bool { return holder != "" })
	}
	if err != nil {
		return boxoffice.Change{}, dbError(name, err)
	}
	switch {
	case admitted: // a release's, which deleted nothing
		return boxoffice.Change{}, boxoffice.AdmittedError(st.show)
	case len(refused) > 0 && book:
		return boxoffice.Change{}, boxoffice.TakenError(refused)
	case len(refused) > 0:
		return boxoffice.Change{}, boxoffice.NotYoursError(refused)
	}
	if held >= 0 && len(changed) > 0 && held+len(changed) > o.maxHeld {
		return boxoffice.Change{}, boxoffice.SeatLimitError(changed, o.maxHeld, held)
	}
	// The booking stands: the guest holds every seat it asked for.
	if book && o.ticket != "" && !g.ticket {
		if _, err := b.stmts.ticket.ExecContext(ctx, id, guest, o.ticket); err != nil {
			return boxoffice.Change{}, dbError(name, err)
		}
	}
	if len(changed) == 0 {
		return boxoffice.Change{Show: id, Version: st.version}, nil
	}

	// The show's row gets the new version once per batch (runBatch).
	c := boxoffice.Change{Show: id, Version: next, At: fromMillis(at), Seats: make([]boxoffice.SeatChange, 0, len(changed))}
	for i, seat := range changed {
		sc := boxoffice.SeatChange{Seat: seat, By: guest}
		state, holder := "free", sql.NullString{}
		if book {
			sc.Holder = guest
			state, holder = "booked", sql.NullString{String: string(guest), Valid: true}
		}
		if _, err := b.stmts.log.ExecContext(ctx, id, next, i, seat, state, holder, guest, at); err != nil {
			return boxoffice.Change{}, dbError(name, err)
		}
		c.Seats = append(c.Seats, sc)
	}
	return c, nil
}

// changeEach runs stmt once per seat with args(seat): for a booking an
// insert that lets the primary key decide (a held seat keeps its row), for a
// release a delete of the guest's own row, unless the guest was admitted. A
// seat whose row it changed is changed; for any other, the seat's holder
// as holderOf reads it decides: refused if refuse(holder), else there was
// nothing to do. holderOf also says whether the guest's ticket was
// admitted (a release's; a seat changed says it was not). Changing first
// rather than checking first leaves no gap between the check and the write.
func (b *batch) changeEach(ctx context.Context, stmt *sql.Stmt, seats []boxoffice.SeatID, args func(boxoffice.SeatID) []any,
	holderOf func(boxoffice.SeatID) *sql.Row, refuse func(boxoffice.Guest) bool) (changed, refused []boxoffice.SeatID, admitted bool, err error) {
	for _, seat := range seats {
		res, err := stmt.ExecContext(ctx, args(seat)...)
		if err != nil {
			return nil, nil, false, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, nil, false, err
		} else if n == 1 {
			changed = append(changed, seat)
			continue
		}
		var (
			holder sql.NullString
			was    bool
		)
		if err := holderOf(seat).Scan(&holder, &was); err != nil {
			return nil, nil, false, err
		}
		admitted = admitted || was
		if refuse(boxoffice.Guest(holder.String)) {
			refused = append(refused, seat)
		}
	}
	return changed, refused, admitted, nil
}
