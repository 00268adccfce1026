package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// The operator's programme changes, on any instance, take a transaction
// advisory lock (programmeLock), so they run one at a time and what one
// reads of halls and shows stays true until it commits. Bookings do not
// take it: against them a change locks the rows of the shows it may change
// or check (those it names and those of the halls it names), FOR NO KEY
// UPDATE in id order as every batch of bookings does, before reading their
// bookings. A batch that locked a show first commits first, and the change
// sees its bookings; one that comes after meets the show's new revision and
// refuses its ops as stale (booking.go). Each show that changed gets its
// next version, a programme change and a NOTIFY like a booking's, so every
// instance's watchers hear of it.

// programmeLock is the key of the advisory lock of programme changes.
const programmeLock = 0x70726f6772616d // "program"

// Programme returns every hall and show, cancelled shows included.
func (s *Store) Programme(ctx context.Context) (boxoffice.Programme, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var p boxoffice.Programme
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) (err error) {
			p, err = readProgramme(ctx, tx)
			return err
		})
	if err != nil {
		return boxoffice.Programme{}, dbError(ctx, "read the programme", err)
	}
	return p, nil
}

// readProgramme reads every hall, by id, and every show, by start then id,
// each with its hall.
func readProgramme(ctx context.Context, tx pgx.Tx) (boxoffice.Programme, error) {
	var p boxoffice.Programme
	rows, _ := tx.Query(ctx, `SELECT id, name, layout FROM halls ORDER BY id`)
	var (
		h   boxoffice.Hall
		src string
	)
	halls := map[boxoffice.HallID]boxoffice.Hall{}
	_, err := pgx.ForEachRow(rows, []any{&h.ID, &h.Name, &src}, func() error {
		l, err := boxoffice.ParseLayout(src)
		if err != nil {
			return fmt.Errorf("hall %q: stored layout: %w", h.ID, err)
		}
		h.Layout = l
		halls[h.ID] = h
		p.Halls = append(p.Halls, h)
		return nil
	})
	if err != nil {
		return p, err
	}
	rows, _ = tx.Query(ctx, `
		SELECT id, title, starts_at, hall_id, sales, max_seats_per_guest FROM shows ORDER BY starts_at, id`)
	var sh boxoffice.Show
	_, err = pgx.ForEachRow(rows, []any{&sh.ID, &sh.Title, &sh.StartsAt, &sh.Hall.ID, &sh.Sales, &sh.MaxSeatsPerGuest}, func() error {
		show := sh
		show.StartsAt = show.StartsAt.UTC()
		if sh.MaxSeatsPerGuest != nil {
			n := *sh.MaxSeatsPerGuest
			show.MaxSeatsPerGuest = &n
		}
		show.Hall = halls[sh.Hall.ID]
		p.Shows = append(p.Shows, show)
		return nil
	})
	return p, err
}

// ApplyProgramme creates or updates the halls and shows p names, all or
// nothing.
func (s *Store) ApplyProgramme(ctx context.Context, p boxoffice.Programme, dryRun bool) (boxoffice.ProgrammeReport, error) {
	if err := p.Check(); err != nil {
		return boxoffice.ProgrammeReport{}, err
	}
	var (
		plan   boxoffice.ProgrammePlan
		bumped []boxoffice.ShowID
	)
	err := s.inTx(ctx, "apply the programme", func(ctx context.Context, tx pgx.Tx) (err error) {
		plan, bumped, err = s.applyIn(ctx, tx, p, dryRun)
		return err
	})
	if err != nil {
		return boxoffice.ProgrammeReport{}, err
	}
	s.forget(bumped)
	return plan.Report, nil
}

// applyIn plans p against the database, in tx, and unless dryRun writes it;
// it returns the shows it bumped.
func (s *Store) applyIn(ctx context.Context, tx pgx.Tx, p boxoffice.Programme, dryRun bool) (boxoffice.ProgrammePlan, []boxoffice.ShowID, error) {
	var plan boxoffice.ProgrammePlan
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(programmeLock)); err != nil {
		return plan, nil, err
	}
	stored, err := readProgramme(ctx, tx)
	if err != nil {
		return plan, nil, err
	}
	affected := p.Affected(stored.Shows)
	st := boxoffice.Stored{Halls: stored.Halls, Shows: stored.Shows, Booked: map[boxoffice.ShowID][]boxoffice.SeatID{}}
	if len(affected) > 0 {
		if _, err := tx.Exec(ctx, `SELECT FROM shows WHERE id = ANY ($1) ORDER BY id FOR NO KEY UPDATE`, affected); err != nil {
			return plan, nil, err
		}
		// A new statement, so it sees every booking committed before the
		// locks were granted.
		rows, _ := tx.Query(ctx, `SELECT show_id, seat_id FROM bookings WHERE show_id = ANY ($1)`, affected)
		var (
			show boxoffice.ShowID
			seat boxoffice.SeatID
		)
		if _, err := pgx.ForEachRow(rows, []any{&show, &seat}, func() error {
			st.Booked[show] = append(st.Booked[show], seat)
			return nil
		}); err != nil {
			return plan, nil, err
		}
	}
	now := s.stamp()
	if plan, err = p.Plan(st, now); err != nil || dryRun {
		return plan, nil, err
	}
	batch := &pgx.Batch{}
	for _, h := range plan.NewHalls {
		batch.Queue(`INSERT INTO halls (id, name, layout) VALUES ($1, $2, $3)`, h.ID, h.Name, h.Layout.Source)
	}
	for _, h := range plan.ChangedHalls {
		batch.Queue(`UPDATE halls SET name = $2, layout = $3 WHERE id = $1`, h.ID, h.Name, h.Layout.Source)
	}
	for _, sh := range plan.NewShows {
		batch.Queue(`INSERT INTO shows (id, title, starts_at, hall_id, sales, max_seats_per_guest) VALUES ($1, $2, $3, $4, $5, $6)`,
			sh.ID, sh.Title, sh.StartsAt, sh.Hall.ID, sh.SalesState(), sh.MaxSeatsPerGuest)
	}
	for _, sh := range plan.ChangedShows {
		batch.Queue(`UPDATE shows SET title = $2, starts_at = $3, hall_id = $4, sales = $5, max_seats_per_guest = $6 WHERE id = $1`,
			sh.ID, sh.Title, sh.StartsAt, sh.Hall.ID, sh.SalesState(), sh.MaxSeatsPerGuest)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return plan, nil, err
	}
	if err := bump(ctx, tx, plan.Bump, now); err != nil {
		return plan, nil, err
	}
	return plan, plan.Bump, nil
}

// bump gives each show its next version, as its revision too, with a
// programme change in its log and a notification. The shows are locked.
func bump(ctx context.Context, tx pgx.Tx, ids []boxoffice.ShowID, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		WITH bumped AS (
			UPDATE shows SET version = version + 1, revision = version + 1 WHERE id = ANY ($1)
			RETURNING id, version
		), logged AS (
			INSERT INTO programme_changes (show_id, version, at) SELECT id, version, $2 FROM bumped
		)
		-- The revision's move NOTIFYs programmeChannel first, by trigger
		-- (migration 0007), as any release's bump does.
		SELECT pg_notify('`+channel+`', id || ' ' || version) FROM bumped`, ids, at)
	return err
}

// CancelShow cancels a show, first releasing its seats in one change if
// force.
func (s *Store) CancelShow(ctx context.Context, id boxoffice.ShowID, force bool) (int, error) {
	var released int
	err := s.inTx(ctx, "cancel show", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(programmeLock)); err != nil {
			return err
		}
		var (
			startsAt time.Time
			sales    boxoffice.Sales
		)
		err := tx.QueryRow(ctx, `SELECT starts_at, sales FROM shows WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&startsAt, &sales)
		if err == pgx.ErrNoRows {
			return showNotFound(id)
		} else if err != nil {
			return err
		}
		now := s.stamp()
		switch {
		case sales == boxoffice.SalesCancelled:
			return nil
		case !now.Before(startsAt):
			return boxoffice.Errorf(boxoffice.ECONFLICT, "Show %s has started and cannot be cancelled", id)
		}
		// One change frees every seat, logged at the next version, before
		// the cancellation's own.
		err = tx.QueryRow(ctx, `
			WITH freed AS (
				DELETE FROM bookings WHERE show_id = $1 RETURNING seat_id, holder
			), next AS (
				SELECT version + 1 AS v FROM shows WHERE id = $1
			), logged AS (
				INSERT INTO changes (show_id, version, seq, seat_id, holder, by_guest, at)
				SELECT $1, next.v, (row_number() OVER (ORDER BY seat_id))::int - 1, seat_id, NULL, holder, $2
				FROM freed, next
			), bumped AS (
				UPDATE shows SET version = version + 1 WHERE id = $1 AND EXISTS (SELECT FROM freed)
			)
			SELECT count(*) FROM freed`, id, now).Scan(&released)
		if err != nil {
			return err
		}
		if released > 0 && !force {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "Show %s holds %d booked seats: release them first, or cancel with force", id, released)
		}
		// The release and the cancellation both update the show's row,
		// which one statement cannot do twice: the cancellation's bump
		// comes in its own.
		if _, err := tx.Exec(ctx, `UPDATE shows SET sales = 'cancelled' WHERE id = $1`, id); err != nil {
			return err
		}
		// No NOTIFY of the release's own version: the bump's, of the next,
		// comes after the programme's (so a listening instance has dropped
		// its cached show by then), and a hub hearing it reads both.
		return bump(ctx, tx, []boxoffice.ShowID{id}, now)
	})
	if err != nil {
		return 0, err
	}
	s.forget([]boxoffice.ShowID{id})
	return released, nil
}

// DeleteHall deletes a hall no show plays in.
func (s *Store) DeleteHall(ctx context.Context, id boxoffice.HallID) error {
	return s.inTx(ctx, "delete hall", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(programmeLock)); err != nil {
			return err
		}
		var shows int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM shows WHERE hall_id = $1`, id).Scan(&shows); err != nil {
			return err
		}
		if shows > 0 {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "Hall %s has %d shows (cancelled ones count too)", id, shows)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM halls WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return boxoffice.Errorf(boxoffice.ENOTFOUND, "Hall %q does not exist", id)
		}
		return nil
	})
}
