package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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

// Why one READ COMMITTED transaction per operation is enough:
//
//   - Who gets a seat: booking inserts one row per seat with ON CONFLICT DO
//     NOTHING. The primary key admits one row per (show, seat); a second
//     insert of the same seat waits for the first transaction and, if it
//     commits, inserts nothing. No read-then-write gap, no SERIALIZABLE
//     retries, no table lock: guests booking different seats of one show do
//     not wait for each other until the last step.
//   - A seat the insert did not take is looked up afterwards. If its holder
//     let it go in between, the booking is refused all the same: the seat was
//     taken when the insert met it, which is where the operation takes
//     effect.
//   - Versions: the last statement bumps the show's version, which locks the
//     show's row until the commit. Writers of one show therefore commit in
//     version order, and a reader that sees version v sees every change up to
//     v: the live feed never has to wait for a gap to fill. The lock is held
//     for one statement and the commit, not for the whole operation.
//   - Deadlocks: seats are inserted in sorted order and the show's row comes
//     last, so two bookings cannot wait for each other in a cycle. Should
//     PostgreSQL still break a deadlock (same guest releasing overlapping
//     seats from two tabs), the loser gets ErrUnavailable and changes nothing.
//
// The change-log rows commit in the same transaction as the seats, and so
// does the NOTIFY that wakes the other instances: PostgreSQL delivers it only
// if the transaction commits.

// apply runs a booking (book) or a release as one transaction.
func (s *Store) apply(ctx context.Context, id boxoffice.ShowID, seats []boxoffice.SeatID,
	guest boxoffice.Guest, book bool) (boxoffice.Change, error) {
	op := "release"
	if book {
		op = "book"
	}
	seats, err := boxoffice.CheckRequest(seats, guest)
	if err != nil {
		return boxoffice.Change{}, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	show, err := s.findShow(ctx, id)
	if err != nil {
		return boxoffice.Change{}, err
	}
	now := s.stamp()
	if err := show.Admit(seats, now); err != nil {
		return boxoffice.Change{}, err
	}

	ids := make([]string, len(seats))
	for i, seat := range seats {
		ids[i] = string(seat)
	}
	c := boxoffice.Change{Show: id}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		w := write{tx: tx, show: id, guest: guest, book: book, at: now}
		changed, err := w.run(ctx, ids)
		if err != nil {
			return err
		}
		c.Version = w.version
		if len(changed) == 0 {
			return nil
		}
		c.At = now
		for _, seat := range changed {
			sc := boxoffice.SeatChange{Seat: boxoffice.SeatID(seat), By: guest}
			if book {
				sc.Holder = guest
			}
			c.Seats = append(c.Seats, sc)
		}
		return nil
	})
	if err != nil {
		return boxoffice.Change{}, dbError(ctx, op, err)
	}
	if len(c.Seats) > 0 && s.opts.OnCommit != nil {
		s.opts.OnCommit(id, c.Version)
	}
	return c, nil
}

// write is one operation's transaction.
type write struct {
	tx    pgx.Tx
	show  boxoffice.ShowID
	guest boxoffice.Guest
	book  bool
	at    time.Time

	locked  bool  // the show's row is locked: nobody else can commit to it
	version int64 // the version the operation is acknowledged at
}

// run changes the seats that need it and returns them in the order asked
// for, with w.version set, or returns the error refusing the operation.
//
// Seats the first statement did not change are checked afterwards, and that
// check must hold at the version the operation is acknowledged at: after the
// show's row is locked when something changed (no other commit can come
// between), or in the same snapshot as the version when nothing did.
func (w *write) run(ctx context.Context, ids []string) ([]string, error) {
	var done []string
	pending := ids
	for range 3 {
		got, err := w.changeSeats(ctx, pending)
		if err != nil {
			return nil, err
		}
		done = append(done, got...)
		rest := without(pending, got)
		if len(done) > 0 && len(rest) == 0 && !w.locked {
			// The common case: everything changed. One statement locks,
			// bumps and logs.
			return inOrder(ids, done), w.commit(ctx, inOrder(ids, done), true)
		}
		if len(done) > 0 && !w.locked {
			if err := w.tx.QueryRow(ctx, `UPDATE shows SET version = version + 1 WHERE id = $1 RETURNING version`,
				w.show).Scan(&w.version); err != nil {
				return nil, err
			}
			w.locked = true
		}
		redo, err := w.check(ctx, rest)
		if err != nil {
			return nil, err
		}
		if len(redo) == 0 {
			if len(done) == 0 {
				return nil, nil
			}
			return inOrder(ids, done), w.commit(ctx, inOrder(ids, done), false)
		}
		pending = redo
	}
	// The guest keeps changing these seats from elsewhere at the same time.
	return nil, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The seats changed while this request ran; try again")
}

// changeSeats inserts the guest's rows (book) or deletes them (release) and
// returns the seats it changed. Inserting first rather than checking first
// leaves no gap between the check and the write; the sorted order keeps two
// bookings from deadlocking.
func (w *write) changeSeats(ctx context.Context, ids []string) ([]string, error) {
	var rows pgx.Rows
	if w.book {
		rows, _ = w.tx.Query(ctx, `
			INSERT INTO bookings (show_id, seat_id, holder, booked_at)
			SELECT $1, seat, $3, $4 FROM unnest($2::text[]) AS seat ORDER BY seat
			ON CONFLICT (show_id, seat_id) DO NOTHING
			RETURNING seat_id`, w.show, ids, w.guest, w.at)
	} else {
		rows, _ = w.tx.Query(ctx, `
			DELETE FROM bookings WHERE show_id = $1 AND seat_id = ANY ($2) AND holder = $3
			RETURNING seat_id`, w.show, ids, w.guest)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// check looks at seats changeSeats left alone. It returns the error naming
// those another guest holds, or the seats to try again: a release meeting a
// seat the guest booked meanwhile from elsewhere. The others need nothing:
// the guest holds them already (book) or they are free (release). Unless the
// show is locked, it also reads the version, in the same snapshot.
func (w *write) check(ctx context.Context, rest []string) (redo []string, err error) {
	rows, _ := w.tx.Query(ctx, `
		SELECT s.version, b.seat_id, b.holder
		FROM shows s LEFT JOIN bookings b ON b.show_id = s.id AND b.seat_id = ANY ($2)
		WHERE s.id = $1`, w.show, rest)
	holders := map[string]boxoffice.Guest{}
	var (
		version      int64
		seat, holder *string
	)
	if _, err := pgx.ForEachRow(rows, []any{&version, &seat, &holder}, func() error {
		if seat != nil {
			holders[*seat] = boxoffice.Guest(*holder)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if !w.locked {
		w.version = version
	}
	var refused []boxoffice.SeatID
	for _, id := range rest {
		switch h := holders[id]; {
		case w.book && h != w.guest:
			// Held by another guest, or freed after the insert met it held:
			// refused as of that moment either way.
			refused = append(refused, boxoffice.SeatID(id))
		case !w.book && h == w.guest:
			redo = append(redo, id)
		case !w.book && h != "":
			refused = append(refused, boxoffice.SeatID(id))
		}
	}
	switch {
	case len(refused) > 0 && w.book:
		return nil, boxoffice.TakenError(refused)
	case len(refused) > 0:
		return nil, boxoffice.NotYoursError(refused)
	}
	return redo, nil
}

// commit logs the changed seats at the operation's version, bumping the
// version first unless the show is locked already, and notifies the other
// instances, which hear of it only if the transaction commits.
func (w *write) commit(ctx context.Context, changed []string, bump bool) error {
	var holder *string
	if w.book {
		holder = (*string)(&w.guest)
	}
	version := `UPDATE shows SET version = version + 1 WHERE id = $1 RETURNING version`
	args := []any{w.show, changed, holder, w.guest, w.at}
	if !bump {
		version = `SELECT $6::bigint AS version`
		args = append(args, w.version)
	}
	return w.tx.QueryRow(ctx, `
		WITH v AS (`+version+`), logged AS (
			INSERT INTO changes (show_id, version, seq, seat_id, holder, by_guest, at)
			SELECT $1, v.version, c.seq - 1, c.seat, $3::text, $4, $5
			FROM v, unnest($2::text[]) WITH ORDINALITY AS c (seat, seq)
		)
		SELECT version, pg_notify('`+channel+`', $1 || ' ' || version) FROM v`,
		args...).Scan(&w.version, nil)
}

// without returns the ids not in drop; inOrder returns those in keep, in the
// order of ids.
func without(ids, drop []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(drop, id) {
			out = append(out, id)
		}
	}
	return out
}

func inOrder(ids, keep []string) []string {
	var out []string
	for _, id := range ids {
		if slices.Contains(keep, id) {
			out = append(out, id)
		}
	}
	return out
}
