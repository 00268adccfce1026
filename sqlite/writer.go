package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"boxoffice"
)

// Group commit. One goroutine, the writer (internal/groupcommit), owns the
// write connection. Book and Release queue an op for it; it takes every op
// waiting (up to maxBatch) and runs them in one transaction, each that needs
// it inside its own savepoint so that a refused op rolls back alone and keeps
// its own error (see batch.run). One COMMIT, so one fsync, makes the whole
// batch durable; only then is any op answered. Each op
// that changed seats still has its own version and change rows, so versions
// stay consecutive per show.

// maxBatch bounds the ops in one transaction, so the first op of a batch
// never waits long behind the others.
const maxBatch = 128

// op is one Book or Release, or an operator's release, waiting for the
// writer.
type op struct {
	show    boxoffice.ShowID
	seats   []boxoffice.SeatID
	guest   boxoffice.Guest
	book    bool
	maxHeld int // a booking's cap on the guest's seats in the show; <= 0: none
	// ticket is the hash of the guest's ticket for the show, which a
	// booking stores if the guest has none yet; "" stores none.
	ticket boxoffice.TicketHash
	// operator: free seats whoever holds them (door.go): the seats listed,
	// or with seats nil every seat guest holds.
	operator bool
}

type result struct {
	change boxoffice.Change
	err    error
}

func (o *op) name() string {
	switch {
	case o.book:
		return "book"
	case o.operator:
		return "operator release"
	}
	return "release"
}

// submit queues o for the writer and waits for its result. Once the writer
// took it, an op is waited for even if ctx ends: it is applied or not as a
// whole, and the caller learns which.
func (s *Store) submit(ctx context.Context, o *op) (boxoffice.Change, error) {
	r, err := s.writes.Submit(ctx, o)
	if err != nil {
		return boxoffice.Change{}, err
	}
	return r.change, r.err
}

// writeSQL are the writer's statements, prepared once on its connection
// (see prepareWrites) rather than parsed again for every op.
var writeSQL = struct{ show, book, release, holder, guest, ticket, bump, log, compact, trim, trimProgramme, savepoint, keep, undo string }{
	show: `SELECT ` + showColumns + `, s.version, s.log_floor FROM shows s WHERE s.id = ?`,
	book: `INSERT INTO bookings (show_id, seat_id, holder, version, booked_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (show_id, seat_id) DO NOTHING`,
	release: `DELETE FROM bookings WHERE show_id = ? AND seat_id = ? AND holder = ?`,
	holder:  `SELECT holder FROM bookings WHERE show_id = ? AND seat_id = ?`,
	// What an op needs to know of its guest, in one statement: the seats
	// it holds, counted only for a booking with a cap (?3), else -1; and
	// its ticket: NULL if it has none, else whether it was admitted.
	guest: `SELECT CASE WHEN ?3 THEN (SELECT count(*) FROM bookings WHERE show_id = ?1 AND holder = ?2) ELSE -1 END,
		(SELECT admitted_at IS NOT NULL FROM tickets WHERE show_id = ?1 AND guest = ?2)`,
	// A clash of code_hash is two codes alike (60 bits): the later guest
	// goes without a ticket rather than fail the batch.
	ticket: `INSERT INTO tickets (show_id, guest, code_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
	bump:   `UPDATE shows SET version = ?, log_floor = ? WHERE id = ?`,
	log:    `INSERT INTO changes (show_id, version, seq, seat_id, state, holder, by_guest, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	// Versions up to the new floor leave changes, each seat's latest one
	// kept in compacted_changes (SQLite takes the other columns of a
	// max() aggregate from the row with the maximum). ?3 is the old floor,
	// below which changes holds no row.
	compact: `INSERT INTO compacted_changes (show_id, seat_id, version, state, holder, by_guest, at)
		SELECT show_id, seat_id, max(version), state, holder, by_guest, at FROM changes
		WHERE show_id = ?1 AND version > ?3 AND version <= ?2 GROUP BY seat_id
		ON CONFLICT (show_id, seat_id) DO UPDATE SET version = excluded.version, state = excluded.state,
			holder = excluded.holder, by_guest = excluded.by_guest, at = excluded.at`,
	trim: `DELETE FROM changes WHERE show_id = ?1 AND version > ?3 AND version <= ?2`,
	// Programme changes below the floor go with no trace: a reader from
	// there starts again from a seat map, which carries the show as it is.
	trimProgramme: `DELETE FROM programme_changes WHERE show_id = ?1 AND version > ?3 AND version <= ?2`,
	savepoint:     `SAVEPOINT op`,
	keep:          `RELEASE op`,
	undo:          `ROLLBACK TO op`,
}

// writeStmts holds one statement per entry of writeSQL.
type writeStmts struct {
	show, book, release, holder, guest, ticket, bump, log, compact, trim, trimProgramme, savepoint, keep, undo *sql.Stmt
}

func (w *writeStmts) all() []**sql.Stmt {
	return []**sql.Stmt{&w.show, &w.book, &w.release, &w.holder, &w.guest, &w.ticket, &w.bump, &w.log, &w.compact,
		&w.trim, &w.trimProgramme, &w.savepoint, &w.keep, &w.undo}
}

func writeSQLs() []string {
	q := writeSQL
	return []string{q.show, q.book, q.release, q.holder, q.guest, q.ticket, q.bump, q.log, q.compact, q.trim, q.trimProgramme, q.savepoint, q.keep, q.undo}
}

// prepareWrites prepares the writer's statements on the writer pool.
func (s *Store) prepareWrites(ctx context.Context) error {
	for i, p := range s.stmts.all() {
		var err error
		if *p, err = s.writer.PrepareContext(ctx, writeSQLs()[i]); err != nil {
			return fmt.Errorf("preparing %q: %w", writeSQLs()[i], err)
		}
	}
	return nil
}

// batch is one transaction of the writer.
type batch struct {
	store *Store
	tx    *sql.Tx
	stmts writeStmts // bound to tx
	shows map[boxoffice.ShowID]*showState
}

// showState is a show as the batch has changed it so far.
type showState struct {
	show    boxoffice.Show
	version int64
	floor   int64 // the change log's floor (see compact)
	dirty   bool  // version moved: write it before the commit
}

// run applies one op into res. An op on several seats, or one that the
// seat cap may refuse (the guest is that close to it), runs inside a savepoint, so that a refusal after some
// of its rows changed undoes them alone. Any other op on one seat needs
// none: it is refused before it writes anything. An error returned (not one
// in res) breaks the whole batch, whose ops then all get it and none is
// applied.
func (b *batch) run(ctx context.Context, o *op, res *result) error {
	// The cap is the show's own when it has one, read in this transaction:
	// an operator's change of it applies from the next batch on.
	if o.book {
		if st, err := b.show(ctx, o.show); err == nil {
			o.maxHeld = st.show.SeatCap(o.maxHeld)
		} // else applyIn meets the error again and answers it
	}
	// Read in the writer's transaction, after the batch's earlier ops:
	// concurrent bookings of one guest cannot pass the cap together, and
	// an admission committed before this batch stops the guest's ops.
	g := guestState{held: -1}
	if !o.operator {
		var ticket sql.NullBool
		if err := b.stmts.guest.QueryRowContext(ctx, o.show, o.guest, o.book && o.maxHeld > 0).Scan(&g.held, &ticket); err != nil {
			return err
		}
		g.ticket, g.admitted = ticket.Valid, ticket.Bool
	}
	held := g.held
	savepoint := len(o.seats) > 1 || (held >= 0 && held+len(o.seats) > o.maxHeld)
	if savepoint {
		if _, err := b.stmts.savepoint.ExecContext(ctx); err != nil {
			return err
		}
	}
	res.change, res.err = b.applyIn(ctx, o, g)
	switch {
	case res.err != nil && savepoint:
		if _, err := b.stmts.undo.ExecContext(ctx); err != nil {
			return err
		}
	case res.err != nil && boxoffice.ErrorCode(res.err) == "":
		return res.err // a database error: what it left behind is unknown
	case len(res.change.Seats) > 0:
		st := b.shows[o.show]
		st.version, st.dirty = res.change.Version, true
	}
	if savepoint {
		if _, err := b.stmts.keep.ExecContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// guestState is what a guest's op needs to know of the guest, read in the
// batch's transaction before it runs.
type guestState struct {
	held     int  // seats held in the show, for a booking with a cap; else -1
	ticket   bool // the guest has its ticket for the show
	admitted bool // and the door admitted it
}

// show returns the show, read once per batch: later ops in the batch see
// the version as the earlier ones left it.
func (b *batch) show(ctx context.Context, id boxoffice.ShowID) (*showState, error) {
	if st, ok := b.shows[id]; ok {
		return st, nil
	}
	show, version, floor, err := b.store.findShowWith(ctx, b.stmts.show.QueryRowContext(ctx, id), b.tx, id)
	if err != nil {
		return nil, err
	}
	st := &showState{show: show, version: version, floor: floor}
	b.shows[id] = st
	return st, nil
}

// runBatch applies the ops in one transaction and returns their results.
func (s *Store) runBatch(ops []*op) []result {
	// The queue left out ops whose callers had gone when it took the batch;
	// a caller who goes now must not break the transaction the others share.
	ctx := context.Background()
	res := make([]result, len(ops))
	fail := func(err error) []result {
		for i := range res {
			res[i] = result{err: err}
		}
		return res
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fail(dbError(ops[0].name(), err))
	}
	defer tx.Rollback() // a no-op after Commit
	b := &batch{store: s, tx: tx, shows: map[boxoffice.ShowID]*showState{}}
	src := s.stmts.all()
	for i, p := range b.stmts.all() {
		*p = tx.StmtContext(ctx, *src[i])
	}

	for i, o := range ops {
		if err := b.run(ctx, o, &res[i]); err != nil {
			return fail(dbError(o.name(), err))
		}
	}
	// Each show's version is written once per batch, at its last op's.
	for id, st := range b.shows {
		if st.dirty {
			if err := b.compact(ctx, id, st); err != nil {
				return fail(dbError("compact the change log", err))
			}
			if _, err := b.stmts.bump.ExecContext(ctx, st.version, st.floor, id); err != nil {
				return fail(dbError(ops[0].name(), err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(dbError(ops[0].name(), err))
	}
	for _, r := range res {
		if c := r.change; r.err == nil && len(c.Seats) > 0 && s.opts.OnCommit != nil {
			s.opts.OnCommit(c.Show, c.Version)
		}
	}
	return res
}

// compact bounds the show's change log when boxoffice.CompactLogTo says so:
// the versions up to the new floor leave changes, and each seat's latest
// change among them replaces the seat's in compacted_changes.
func (b *batch) compact(ctx context.Context, id boxoffice.ShowID, st *showState) error {
	floor, ok := boxoffice.CompactLogTo(st.version, st.floor, b.store.opts.KeepVersions)
	if !ok {
		return nil
	}
	for _, stmt := range []*sql.Stmt{b.stmts.compact, b.stmts.trim, b.stmts.trimProgramme} {
		if _, err := stmt.ExecContext(ctx, id, floor, st.floor); err != nil {
			return err
		}
	}
	st.floor = floor
	return nil
}
