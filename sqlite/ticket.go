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
		return boxoffice.Ticket{}, false, boxoffice.NoTicketError()
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return boxoffice.Ticket{}, false, dbError("admit ticket", err)
	}
	defer tx.Rollback()
	t, err := s.findTicket(ctx, tx, hash)
	if err != nil {
		return boxoffice.Ticket{}, false, err
	}
	if first, err := t.AdmitAt(at); !first {
		return t, false, err
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
// guest's seats, in q's snapshot, as Ticket.Found has them.
func (s *Store) findTicket(ctx context.Context, q queryer, hash boxoffice.TicketHash) (boxoffice.Ticket, error) {
	var (
		t        boxoffice.Ticket
		show     boxoffice.ShowID
		admitted sql.NullInt64
	)
	if hash == "" {
		return boxoffice.Ticket{}, boxoffice.NoTicketError()
	}
	err := q.QueryRowContext(ctx, `SELECT show_id, guest, admitted_at FROM tickets WHERE code_hash = ?`, hash).
		Scan(&show, &t.Guest, &admitted)
	if errors.Is(err, sql.ErrNoRows) {
		return boxoffice.Ticket{}, boxoffice.NoTicketError()
	} else if err != nil {
		return boxoffice.Ticket{}, dbError("read ticket", err)
	}
	if admitted.Valid {
		t.AdmittedAt = fromMillis(admitted.Int64)
	}
	if t.Show, _, err = s.findShow(ctx, q, show); err != nil {
		return boxoffice.Ticket{}, err
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
	return t.Found()
}
