package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// The door list and the operator's releases. An operator's release is a
// transaction of its own that locks the show's row FOR NO KEY UPDATE, as
// every batch of bookings does (booking.go), so it takes the show's next
// version in turn with them, on any instance; it logs, notifies and
// compacts like a batch. It does not move the show's revision: bookings
// checked before it stay valid, and meet its deletions under the lock.

// Bookings returns the show's held seats with their holders, in hall order,
// read in one statement, and so one snapshot, with the show's revision. A
// cancelled show's list is still there for the operator to read.
func (s *Store) Bookings(ctx context.Context, id boxoffice.ShowID) ([]boxoffice.Booking, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `
		SELECT s.revision, b.seat_id, b.holder, b.booked_at, t.admitted_at
		FROM shows s LEFT JOIN bookings b ON b.show_id = s.id
			LEFT JOIN tickets t ON t.show_id = b.show_id AND t.guest = b.holder
		WHERE s.id = $1`, id)
	var (
		list         []boxoffice.Booking
		found        bool
		revision     int64
		seat, holder *string
		at, admitted *time.Time
	)
	_, err := pgx.ForEachRow(rows, []any{&revision, &seat, &holder, &at, &admitted}, func() error {
		found = true
		if seat != nil {
			b := boxoffice.Booking{Seat: boxoffice.SeatID(*seat), Guest: boxoffice.Guest(*holder), BookedAt: at.UTC()}
			if admitted != nil {
				b.AdmittedAt = admitted.UTC()
			}
			list = append(list, b)
		}
		return nil
	})
	if err != nil {
		return nil, dbError(ctx, "read the door list", err)
	} else if !found {
		return nil, showNotFound(id)
	}
	show, err := s.showAt(ctx, id, revision)
	if err != nil {
		return nil, err
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
	ids := make([]string, len(seats))
	for i, seat := range seats {
		ids[i] = string(seat)
	}
	return s.free(ctx, show, seats, `DELETE FROM bookings WHERE show_id = $1 AND seat_id = ANY ($2) RETURNING seat_id, holder`, ids)
}

// ReleaseGuest frees every seat guest holds in the show, in one change,
// whether sales are open or not.
func (s *Store) ReleaseGuest(ctx context.Context, show boxoffice.ShowID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.free(ctx, show, nil, `DELETE FROM bookings WHERE show_id = $1 AND holder = $2 RETURNING seat_id, holder`, guest)
}

// free runs an operator's release: under the show's lock it checks the
// show (Show.AdmitOperator, against seats), deletes with del (arguments: the
// show, arg; it returns each freed seat and its former holder) and logs the
// freed seats at the show's next version, in the order of seats, or in hall
// order without a list.
func (s *Store) free(ctx context.Context, id boxoffice.ShowID, seats []boxoffice.SeatID, del string, arg any) (boxoffice.Change, error) {
	var c boxoffice.Change
	err := s.inTx(ctx, "operator release", func(ctx context.Context, tx pgx.Tx) error {
		var (
			version, floor, revision int64
			show                     = boxoffice.Show{ID: id}
			src                      string
		)
		err := tx.QueryRow(ctx, `
			SELECT s.version, s.log_floor, s.revision, s.title, s.sales, h.layout
			FROM shows s JOIN halls h ON h.id = s.hall_id
			WHERE s.id = $1 FOR NO KEY UPDATE OF s`, id).Scan(&version, &floor, &revision, &show.Title, &show.Sales, &src)
		if errors.Is(err, pgx.ErrNoRows) {
			return showNotFound(id)
		} else if err != nil {
			return err
		}
		if show.Hall.Layout, err = s.layoutAt(id, revision, src); err != nil {
			return err
		}
		if err := show.AdmitOperator(seats); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, del, id, arg)
		var (
			freed      []boxoffice.SeatChange
			seat, by   string
			order      = map[boxoffice.SeatID]int{}
			fromLayout = seats == nil
		)
		for i, asked := range seats {
			order[asked] = i
		}
		if _, err := pgx.ForEachRow(rows, []any{&seat, &by}, func() error {
			freed = append(freed, boxoffice.SeatChange{Seat: boxoffice.SeatID(seat), By: boxoffice.Guest(by)})
			return nil
		}); err != nil {
			return err
		}
		if fromLayout {
			boxoffice.InHallOrder(&show.Hall.Layout, freed, func(sc boxoffice.SeatChange) boxoffice.SeatID { return sc.Seat })
		} else {
			slices.SortFunc(freed, func(a, b boxoffice.SeatChange) int { return cmp.Compare(order[a.Seat], order[b.Seat]) })
		}
		c = boxoffice.Change{Show: id, Version: version}
		if len(freed) == 0 {
			return nil
		}
		c = boxoffice.Change{Show: id, Version: version + 1, At: s.stamp(), Seats: freed}
		var (
			ids     = make([]string, len(freed))
			holders = make([]string, len(freed))
		)
		for i, sc := range freed {
			ids[i], holders[i] = string(sc.Seat), string(sc.By)
		}
		if _, err := tx.Exec(ctx, `
			WITH logged AS (
				INSERT INTO changes (show_id, version, seq, seat_id, holder, by_guest, at)
				SELECT $1, $2, c.seq::int - 1, c.seat_id, NULL, c.by_guest, $5
				FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS c (seat_id, by_guest, seq)
			), bumped AS (
				UPDATE shows SET version = $2 WHERE id = $1
			)
			SELECT pg_notify('`+channel+`', $1 || ' ' || $2::text)`, id, c.Version, ids, holders, c.At); err != nil {
			return err
		}
		// As a batch would (compact.go): the log stays bounded however the
		// show's versions come.
		if to, ok := boxoffice.CompactLogTo(c.Version, floor, s.opts.KeepVersions); ok {
			if _, err := tx.Exec(ctx, compactSQL, id, to, floor); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return boxoffice.Change{}, err
	}
	// The NOTIFY reaches this instance's hub too, but a moment later: like
	// a batch, tell it before answering, so that whoever reads the seat map
	// next sees the seats free.
	if len(c.Seats) > 0 && s.opts.OnCommit != nil {
		s.opts.OnCommit(c.Show, c.Version)
	}
	return c, nil
}

// layoutAt returns the show's layout as of revision: the cached one when
// the cache holds that revision, else src parsed.
func (s *Store) layoutAt(id boxoffice.ShowID, revision int64, src string) (boxoffice.Layout, error) {
	s.mu.RLock()
	c, ok := s.shows[id]
	s.mu.RUnlock()
	if ok && c.revision == revision {
		return c.show.Hall.Layout, nil
	}
	return boxoffice.ParseLayout(src)
}
