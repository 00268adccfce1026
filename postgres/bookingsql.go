package postgres

import (
	"time"
)

// batchSQL runs a batch in one call of boxoffice_batch (migration
// 0006_book_batch.sql), a PL/pgSQL function that does under the shows'
// locks what booking.go describes, op after op, each seeing the ones
// before, and then writes the change log, the versions and a NOTIFY per
// show, and compacts the log as boxoffice.CompactLogTo says. Each op runs
// as follows.
//
// First, under the lock, the show's revision must still be the one the op
// was checked against: if the operator changed the show or its hall since
// (sales, start, layout, cap), nothing changes and one row 'stale' comes
// back. Then the guest's ticket for the show (its primary key, one index
// probe): once admitted at the door (Admit takes the same lock), the op
// changes nothing and one row 'admitted' comes back, before any seat is
// looked at.
//
// If another guest holds any of the seats, nothing changes and those seats
// come back 'refused'; otherwise the seats that change come back
// 'changed'. Seats the guest holds already (book) or that are free
// (release) need nothing. Checking first is safe because every writer of
// the show holds its lock; the insert still lets the primary key decide
// (ON CONFLICT DO NOTHING).
//
// A booking with a cap that would leave the guest holding more seats than
// that changes nothing either: the seats it would have booked come back
// 'limit', and one row 'held' carries the seats the guest holds. The count
// scans the show's bookings only when a cap is given and no seat is
// refused. A booking that stands, one that changed seats or found them all
// the guest's already, stores the guest's ticket when the guest has none
// yet.
//
// Every op but a stale one ends with a row 'version': the show's version
// after it, the op's own if it changed seats.
const batchSQL = `SELECT r_op, r_kind, r_seat, r_version
	FROM boxoffice_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// batchArgs are boxoffice_batch's arguments for ops: per op a column each,
// the seats of all ops one after the other with where each op's end.
func batchArgs(ops []*op, at time.Time, keep int) []any {
	var (
		book      = make([]bool, len(ops))
		shows     = make([]string, len(ops))
		guests    = make([]string, len(ops))
		caps      = make([]int32, len(ops))
		revisions = make([]int64, len(ops))
		tickets   = make([]string, len(ops))
		ends      = make([]int32, len(ops))
		seats     []string
	)
	for i, o := range ops {
		book[i], shows[i], guests[i], revisions[i] = o.book, string(o.show.ID), string(o.guest), o.revision
		if o.book {
			caps[i], tickets[i] = int32(o.maxHeld), string(o.ticket)
		}
		seats = append(seats, o.seats...)
		ends[i] = int32(len(seats))
	}
	return []any{book, shows, guests, caps, revisions, tickets, ends, seats, at, keep}
}
