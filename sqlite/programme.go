package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"boxoffice"
)

// The operator's programme changes run in write transactions on the writer's
// one connection (beginWrite), so they queue behind and before batches of
// bookings and never interleave with one: what a rule checks (booked seats,
// whether a show started) cannot change before the commit. After the commit
// the cache forgets the shows that changed and OnCommit wakes their
// watchers, as after a booking.

// Programme returns every hall and show, cancelled shows included.
func (s *Store) Programme(ctx context.Context) (boxoffice.Programme, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return boxoffice.Programme{}, dbError("read the programme", err)
	}
	defer tx.Rollback()
	p, err := s.readProgramme(ctx, tx)
	if err != nil {
		return boxoffice.Programme{}, dbError("read the programme", err)
	}
	return p, nil
}

// readProgramme reads every hall, by id, and every show, by start then id,
// each with its hall.
func (s *Store) readProgramme(ctx context.Context, q queryer) (boxoffice.Programme, error) {
	var p boxoffice.Programme
	rows, err := q.QueryContext(ctx, `SELECT id, name, layout FROM halls ORDER BY id`)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	halls := map[boxoffice.HallID]boxoffice.Hall{}
	for rows.Next() {
		var h boxoffice.Hall
		var src string
		if err := rows.Scan(&h.ID, &h.Name, &src); err != nil {
			return p, err
		}
		if h.Layout, err = boxoffice.ParseLayout(src); err != nil {
			return p, errors.Join(errors.New("hall "+string(h.ID)+": stored layout"), err)
		}
		halls[h.ID] = h
		p.Halls = append(p.Halls, h)
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT s.id, `+showColumns+` FROM shows s ORDER BY s.starts_at, s.id`)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var r showRow
		if err := rows.Scan(append([]any{&r.ID}, r.dest()...)...); err != nil {
			return p, err
		}
		show := r.Show
		show.StartsAt = fromMillis(r.startsAt)
		if r.cap.Valid {
			n := int(r.cap.Int64)
			show.MaxSeatsPerGuest = &n
		}
		show.Hall = halls[show.Hall.ID]
		p.Shows = append(p.Shows, show)
	}
	return p, rows.Err()
}

// ApplyProgramme creates or updates the halls and shows p names, all or
// nothing.
func (s *Store) ApplyProgramme(ctx context.Context, p boxoffice.Programme, dryRun bool) (boxoffice.ProgrammeReport, error) {
	if err := p.Check(); err != nil {
		return boxoffice.ProgrammeReport{}, err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return boxoffice.ProgrammeReport{}, dbError("apply the programme", err)
	}
	defer tx.Rollback()
	plan, bumped, err := s.applyIn(ctx, tx, p, dryRun)
	if err != nil || dryRun {
		return plan.Report, err
	}
	if err := tx.Commit(); err != nil {
		return boxoffice.ProgrammeReport{}, dbError("apply the programme", err)
	}
	s.committed(bumped)
	return plan.Report, nil
}

// applyIn plans p against the store, inside tx, and unless dryRun writes
// it: the rows, and for each show in plan.Bump its next version and a
// programme change. bumped has each such show's new version.
func (s *Store) applyIn(ctx context.Context, tx *sql.Tx, p boxoffice.Programme, dryRun bool) (boxoffice.ProgrammePlan, map[boxoffice.ShowID]int64, error) {
	const op = "apply the programme"
	var plan boxoffice.ProgrammePlan
	stored, err := s.readProgramme(ctx, tx)
	if err != nil {
		return plan, nil, dbError(op, err)
	}
	st := boxoffice.Stored{Halls: stored.Halls, Shows: stored.Shows, Booked: map[boxoffice.ShowID][]boxoffice.SeatID{}}
	for _, id := range p.Affected(stored.Shows) {
		rows, err := tx.QueryContext(ctx, `SELECT seat_id FROM bookings WHERE show_id = ?`, id)
		if err != nil {
			return plan, nil, dbError(op, err)
		}
		for rows.Next() {
			var seat boxoffice.SeatID
			if err := rows.Scan(&seat); err != nil {
				rows.Close()
				return plan, nil, dbError(op, err)
			}
			st.Booked[id] = append(st.Booked[id], seat)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return plan, nil, dbError(op, err)
		}
	}
	now := s.opts.Now()
	if plan, err = p.Plan(st, now); err != nil || dryRun {
		return plan, nil, err
	}
	for _, h := range plan.NewHalls {
		if _, err := tx.ExecContext(ctx, `INSERT INTO halls (id, name, layout) VALUES (?, ?, ?)`,
			h.ID, h.Name, h.Layout.Source); err != nil {
			return plan, nil, dbError(op, err)
		}
	}
	for _, h := range plan.ChangedHalls {
		if _, err := tx.ExecContext(ctx, `UPDATE halls SET name = ?, layout = ? WHERE id = ?`,
			h.Name, h.Layout.Source, h.ID); err != nil {
			return plan, nil, dbError(op, err)
		}
	}
	for _, sh := range plan.NewShows {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO shows (id, title, starts_at, hall_id, sales, max_seats_per_guest) VALUES (?, ?, ?, ?, ?, ?)`,
			sh.ID, sh.Title, millis(sh.StartsAt), sh.Hall.ID, sh.SalesState(), seatCap(sh)); err != nil {
			return plan, nil, dbError(op, err)
		}
	}
	for _, sh := range plan.ChangedShows {
		if _, err := tx.ExecContext(ctx, `
			UPDATE shows SET title = ?, starts_at = ?, hall_id = ?, sales = ?, max_seats_per_guest = ? WHERE id = ?`,
			sh.Title, millis(sh.StartsAt), sh.Hall.ID, sh.SalesState(), seatCap(sh), sh.ID); err != nil {
			return plan, nil, dbError(op, err)
		}
	}
	bumped, err := bump(ctx, tx, plan.Bump, millis(now))
	if err != nil {
		return plan, nil, dbError(op, err)
	}
	return plan, bumped, nil
}

// seatCap is a show's cap as stored: NULL for the server's.
func seatCap(sh boxoffice.Show) sql.NullInt64 {
	if sh.MaxSeatsPerGuest == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*sh.MaxSeatsPerGuest), Valid: true}
}

// bump gives each show its next version, as its revision too, with a
// programme change in its log, and returns the new versions.
func bump(ctx context.Context, tx *sql.Tx, ids []boxoffice.ShowID, at int64) (map[boxoffice.ShowID]int64, error) {
	out := map[boxoffice.ShowID]int64{}
	for _, id := range ids {
		var v int64
		if err := tx.QueryRowContext(ctx, `
			UPDATE shows SET version = version + 1, revision = version + 1 WHERE id = ? RETURNING version`,
			id).Scan(&v); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO programme_changes (show_id, version, at) VALUES (?, ?, ?)`,
			id, v, at); err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, nil
}

// committed tells the cache and the watchers of the shows whose programme
// changed, once the change is durable.
func (s *Store) committed(bumped map[boxoffice.ShowID]int64) {
	s.forget(bumped)
	if s.opts.OnCommit != nil {
		for id, v := range bumped {
			s.opts.OnCommit(id, v)
		}
	}
}

// CancelShow cancels a show, first releasing its seats in one change if
// force.
func (s *Store) CancelShow(ctx context.Context, id boxoffice.ShowID, force bool) (int, error) {
	const op = "cancel show"
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, dbError(op, err)
	}
	defer tx.Rollback()
	show, version, err := s.findShow(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	now := s.opts.Now()
	switch {
	case show.SalesState() == boxoffice.SalesCancelled:
		return 0, nil
	case !now.Before(show.StartsAt):
		return 0, boxoffice.Errorf(boxoffice.ECONFLICT, "Show %s has started and cannot be cancelled", id)
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM bookings WHERE show_id = ? RETURNING seat_id, holder`, id)
	if err != nil {
		return 0, dbError(op, err)
	}
	var freed []boxoffice.SeatChange
	for rows.Next() {
		var sc boxoffice.SeatChange
		if err := rows.Scan(&sc.Seat, &sc.By); err != nil {
			rows.Close()
			return 0, dbError(op, err)
		}
		freed = append(freed, sc)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, dbError(op, err)
	}
	if len(freed) > 0 && !force {
		return 0, boxoffice.Errorf(boxoffice.ECONFLICT, "Show %s holds %d booked seats: release them first, or cancel with force", id, len(freed))
	}
	if len(freed) > 0 {
		// One change frees them all, so that watchers see the seats go
		// before they hear of the cancellation.
		version++
		for i, sc := range freed {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO changes (show_id, version, seq, seat_id, state, holder, by_guest, at)
				VALUES (?, ?, ?, ?, 'free', NULL, ?, ?)`, id, version, i, sc.Seat, sc.By, millis(now)); err != nil {
				return 0, dbError(op, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shows SET version = ? WHERE id = ?`, version, id); err != nil {
			return 0, dbError(op, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE shows SET sales = 'cancelled' WHERE id = ?`, id); err != nil {
		return 0, dbError(op, err)
	}
	bumped, err := bump(ctx, tx, []boxoffice.ShowID{id}, millis(now))
	if err != nil {
		return 0, dbError(op, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, dbError(op, err)
	}
	s.committed(bumped)
	return len(freed), nil
}

// DeleteHall deletes a hall no show plays in.
func (s *Store) DeleteHall(ctx context.Context, id boxoffice.HallID) error {
	const op = "delete hall"
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return dbError(op, err)
	}
	defer tx.Rollback()
	var shows int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM shows WHERE hall_id = ?`, id).Scan(&shows); err != nil {
		return dbError(op, err)
	}
	if shows > 0 {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "Hall %s has %d shows (cancelled ones count too)", id, shows)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM halls WHERE id = ?`, id)
	if err != nil {
		return dbError(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(op, err)
	} else if n == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "Hall %q does not exist", id)
	}
	if err := tx.Commit(); err != nil {
		return dbError(op, err)
	}
	return nil
}
