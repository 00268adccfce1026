package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// Tickets and the door. A ticket's row is written by the booking that
// first leaves its guest holding seats, in the batch's statement for it
// (bookingsql.go). An admission locks the show's row FOR NO KEY UPDATE, as
// every batch of bookings does, on any instance: every booking or release
// of the guest is either before it, and seen by it, or after it, and
// refused; and of concurrent admissions, the first to hold the lock is the
// one that stores its time.

// Ticket returns the ticket whose code hashes to hash, with the seats its
// guest holds now, read in one statement and so in one snapshot.
func (s *Store) Ticket(ctx context.Context, hash boxoffice.TicketHash) (boxoffice.Ticket, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.findTicket(ctx, s.pool, hash)
}

// Admit marks the ticket admitted at at, unless it was already: then it
// reports the first admission.
func (s *Store) Admit(ctx context.Context, hash boxoffice.TicketHash, at time.Time) (boxoffice.Ticket, bool, error) {
	if hash == "" {
		return boxoffice.Ticket{}, false, boxoffice.NoTicketError()
	}
	at = at.UTC().Truncate(time.Microsecond) // as timestamptz keeps it
	var (
		t     boxoffice.Ticket
		first bool
	)
	err := s.inTx(ctx, "admit ticket", func(ctx context.Context, tx pgx.Tx) error {
		// A ticket's show never changes, so the snapshot it is found in
		// does not matter; what it says of the guest is read again under
		// the lock, by a new statement that sees every commit before it.
		tag, err := tx.Exec(ctx, `
			SELECT FROM shows WHERE id = (SELECT show_id FROM tickets WHERE code_hash = $1)
			FOR NO KEY UPDATE`, hash)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return boxoffice.NoTicketError()
		}
		if t, err = s.findTicket(ctx, tx, hash); err != nil {
			return err
		}
		if first, err = t.AdmitAt(at); !first {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tickets SET admitted_at = $2 WHERE code_hash = $1`, hash, at); err != nil {
			return err
		}
		t.AdmittedAt = at
		return nil
	})
	if err != nil {
		return boxoffice.Ticket{}, false, err
	}
	return t, first, nil
}

// findTicket reads the ticket whose code hashes to hash, its show and its
// guest's seats, in one statement of q, as Ticket.Found has them.
func (s *Store) findTicket(ctx context.Context, q rowQuerier, hash boxoffice.TicketHash) (boxoffice.Ticket, error) {
	if hash == "" {
		return boxoffice.Ticket{}, boxoffice.NoTicketError()
	}
	var (
		t        boxoffice.Ticket
		id       boxoffice.ShowID
		admitted *time.Time
		revision int64
		sales    boxoffice.Sales
	)
	err := q.QueryRow(ctx, `
		SELECT t.show_id, t.guest, t.admitted_at, s.revision, s.sales,
			array(SELECT b.seat_id FROM bookings b WHERE b.show_id = t.show_id AND b.holder = t.guest)
		FROM tickets t JOIN shows s ON s.id = t.show_id
		WHERE t.code_hash = $1`, hash).Scan(&id, &t.Guest, &admitted, &revision, &sales, &t.Seats)
	if errors.Is(err, pgx.ErrNoRows) {
		return boxoffice.Ticket{}, boxoffice.NoTicketError()
	} else if err != nil {
		return boxoffice.Ticket{}, dbError(ctx, "read ticket", err)
	}
	if admitted != nil {
		t.AdmittedAt = admitted.UTC()
	}
	if t.Show, err = s.showIn(ctx, q, id, revision); err != nil {
		return boxoffice.Ticket{}, err
	}
	t.Show.Sales = sales // as this statement's snapshot has it, whatever the cache holds
	return t.Found()
}
