package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"boxoffice"
)

// Tickets and the door. A ticket's row is written by the booking that
// first leaves its guest holding seats, in the writer's batch (booking.go).
// An admission is a write transaction on the writer's one connection, so it
// runs between batches, never inside one: every booking or release of the
// guest is either before it, and seen by it, or after it, and refused.

// Ticket returns the ticket whose code hashes to hash, with the seats its
// guest holds now, read in one snapshot.
func (s *Store) Ticket(ctx context.Context, hash boxoffice.TicketHash) (boxoffice.Ticket, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return boxoffice.Ticket{}, dbError("read ticket", err)
	}
	defer tx.Rollback()
	return s.findTicket(ctx, tx, hash)
}

// Admit marks the ticket admitted at at, unless it was already: then it
// reports the first admission.
func (s *Store) Admit(ctx context.Context, hash boxoffice.TicketHash, at time.Time) (boxoffice.Ticket, bool, error) {
	if hash == "" {
		return boxoffice.Ticket{}, false, ticketNotFound()
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return boxoffice.Ticket{}, false, dbError("admit ticket", err)
	}
	defer tx.Rollback()
	t, err := s.findTicket(ctx, tx, hash)
	switch {
	case err != nil:
		return boxoffice.Ticket{}, false, err
	case t.Admitted():
		return t, false, nil
	case !t.Show.AdmitsAt(at):
		return boxoffice.Ticket{}, false, boxoffice.WrongDayError(t.Show, t.Show.StartsAt.Format(time.RFC3339))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET admitted_at = ? WHERE code_hash = ?`, millis(at), hash); err != nil {
		return boxoffice.Ticket{}, false, dbError("admit ticket", err)
	}
	if err := tx.Commit(); err != nil {
		return boxoffice.Ticket{}, false, dbError("admit ticket", err)
	}
	t.AdmittedAt = fromMillis(millis(at)) // as read back
	return t, true, nil
}

// findTicket reads the ticket whose code hashes to hash, its show and its
// guest's seats in hall order, in q's snapshot. A ticket whose guest holds
// no seat is not found, unless its show was cancelled, which says so.
func (s *Store) findTicket(ctx context.Context, q queryer, hash boxoffice.TicketHash) (boxoffice.Ticket, error) {
	var (
		t        boxoffice.Ticket
		show     boxoffice.ShowID
		admitted sql.NullInt64
	)
	if hash == "" {
		return boxoffice.Ticket{}, ticketNotFound()
	}
	err := q.QueryRowContext(ctx, `SELECT show_id, guest, admitted_at FROM tickets WHERE code_hash = ?`, hash).
		Scan(&show, &t.Guest, &admitted)
	if errors.Is(err, sql.ErrNoRows) {
		return boxoffice.Ticket{}, ticketNotFound()
	} else if err != nil {
		return boxoffice.Ticket{}, dbError("read ticket", err)
	}
	if admitted.Valid {
		t.AdmittedAt = fromMillis(admitted.Int64)
	}
	if t.Show, _, err = s.findShow(ctx, q, show); err != nil {
		return boxoffice.Ticket{}, err
	}
	if t.Show.SalesState() == boxoffice.SalesCancelled {
		return boxoffice.Ticket{}, boxoffice.Errorf(boxoffice.ECANCELLED, "%s has been cancelled", t.Show.Title)
	}
	rows, err := q.QueryContext(ctx, `SELECT seat_id FROM bookings WHERE show_id = ? AND holder = ?`, show, t.Guest)
	if err != nil {
		return boxoffice.Ticket{}, dbError("read ticket", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seat boxoffice.SeatID
		if err := rows.Scan(&seat); err != nil {
			return boxoffice.Ticket{}, dbError("read ticket", err)
		}
		t.Seats = append(t.Seats, seat)
	}
	if err := rows.Err(); err != nil {
		return boxoffice.Ticket{}, dbError("read ticket", err)
	}
	if len(t.Seats) == 0 {
		return boxoffice.Ticket{}, ticketNotFound()
	}
	boxoffice.InHallOrder(&t.Show.Hall.Layout, t.Seats, func(s boxoffice.SeatID) boxoffice.SeatID { return s })
	return t, nil
}

func ticketNotFound() error {
	return boxoffice.Errorf(boxoffice.ENOTFOUND, "There is no such ticket")
}
