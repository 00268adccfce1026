package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// Book makes the seats the guest's, all or nothing, if the guest then holds
// at most maxHeld seats of the show (maxHeld <= 0: any number).
func (s *Store) Book(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest, ticket boxoffice.TicketHash, maxHeld int) (boxoffice.Change, error) {
	return s.apply(ctx, show, seats, guest, ticket, true, maxHeld)
}

// Release frees the guest's seats among those listed, all or nothing.
func (s *Store) Release(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.apply(ctx, show, seats, guest, "", false, 0)
}

// Bookings and releases run in batches (group commit, internal/groupcommit):
// one goroutine per Store, the writer, takes every operation waiting, up to
// maxBatch, and runs them in one READ COMMITTED transaction, so a batch costs one commit and
// one WAL flush however many guests it serves. Why that is correct, across
// any number of instances:
//
//   - The batch first locks the row of every show it writes to (FOR NO KEY
//     UPDATE, in id order, so two instances' batches cannot deadlock). Every
//     writer of a show, on any instance, holds that lock until it commits,
//     so writers of one show take turns, and versions commit in order: a
//     reader that sees version v sees every change up to v.
//   - Under the lock, each operation is one statement: if another guest
//     holds any of its seats it changes nothing and is refused alone, naming
//     every such seat; if the guest would then hold more seats of the show
//     than the booking's cap, likewise (the count is made under the lock,
//     so no two bookings of one guest pass the cap together, whichever
//     instance runs them); otherwise it inserts the seats with ON CONFLICT DO
//     NOTHING (the primary key (show, seat) stays the referee) or deletes the
//     guest's own rows. A guest whose ticket the door admitted (under the
//     same lock) is refused whole; a booking that stands stores the
//     guest's ticket if it has none (bookingsql.go). The batch's
//     statements go to the server in one pipeline, one round trip, and
//     run in order, each seeing the ones before.
//   - Each operation that changed seats gets the next version of its show
//     and its own change-log rows, all written with the new versions and a
//     NOTIFY per show in the batch's last statement. PostgreSQL delivers a
//     NOTIFY only if its transaction commits.
//   - Nobody is answered before the commit: an acknowledged booking is
//     durable (with synchronous_commit on, PostgreSQL's default). If the
//     commit fails, every operation of the batch gets the error.

// maxBatch bounds the operations in one transaction, so that the first of a
// batch never waits long behind the others.
const maxBatch = 64

// op is one Book or Release waiting for the writer.
type op struct {
	show     boxoffice.Show
	revision int64 // of show as read; the batch checks it under the lock
	seats    []string
	guest    boxoffice.Guest
	book     bool
	maxHeld  int                  // a booking's cap on the guest's seats in the show; <= 0: none
	ticket   boxoffice.TicketHash // a booking's: stored if the guest has none yet
}

type result struct {
	change boxoffice.Change
	err    error
}

func (o *op) name() string {
	if o.book {
		return "book"
	}
	return "release"
}

// apply checks a booking (book) or a release, queues it for the writer and
// waits until it is committed or refused.
func (s *Store) apply(ctx context.Context, id boxoffice.ShowID, seats []boxoffice.SeatID,
	guest boxoffice.Guest, ticket boxoffice.TicketHash, book bool, maxHeld int) (boxoffice.Change, error) {
	seats, err := boxoffice.CheckRequest(seats, guest)
	if err != nil {
		return boxoffice.Change{}, err
	}
	// Bounded, so that callers hear of an outage promptly, queue included.
	ctx, cancel := s.bound(ctx)
	defer cancel()
	show, revision, cached, err := s.cachedOrRead(ctx, id)
	for {
		if err != nil {
			return boxoffice.Change{}, err
		}
		c, err := s.try(ctx, show, revision, seats, guest, ticket, book, maxHeld)
		if err == nil || !(errors.Is(err, errStale) || cached && cachedBefore(err)) {
			return c, err
		}
		if !cached {
			// Read afresh, and changed again before the batch locked it.
			return boxoffice.Change{}, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The show changed while booking, try again")
		}
		// The cached show is older than the database's (another instance
		// changed the programme), or may be: read it afresh and try again.
		cached = false
		show, revision, err = s.readShowRevision(ctx, id)
	}
}

// try checks one booking or release against show, as read at revision,
// and runs it in a batch, which refuses it with errStale if the revision
// moved meanwhile.
func (s *Store) try(ctx context.Context, show boxoffice.Show, revision int64, seats []boxoffice.SeatID,
	guest boxoffice.Guest, ticket boxoffice.TicketHash, book bool, maxHeld int) (boxoffice.Change, error) {
	if err := show.Admit(seats, s.stamp()); err != nil {
		return boxoffice.Change{}, err
	}
	o := &op{show: show, revision: revision, guest: guest, book: book, maxHeld: show.SeatCap(maxHeld), ticket: ticket}
	for _, seat := range seats {
		o.seats = append(o.seats, string(seat))
	}
	// Once the writer took it, the op is applied or not as a whole, and the
	// caller learns which: the writer bounds its batches itself.
	r, err := s.writes.Submit(ctx, o)
	if err != nil {
		return boxoffice.Change{}, dbError(ctx, o.name(), err)
	}
	return r.change, r.err
}

// cachedBefore reports whether err is a refusal that a show read earlier
// may have caused: its sales or start or hall as they were.
func cachedBefore(err error) bool {
	switch boxoffice.ErrorCode(err) {
	case boxoffice.ECLOSED, boxoffice.ECANCELLED, boxoffice.ENOTFOUND:
		return true
	}
	return false
}

// errStale answers an op whose show changed (its revision moved) between
// the caller's read of it and the batch's lock: apply reads it afresh.
var errStale = errors.New("postgres: the show changed")

// runBatch applies the ops in one transaction and returns their results.
func (s *Store) runBatch(ops []*op) []result {
	// The queue left out ops whose callers had gone when it took the batch;
	// a caller who goes now must not break the transaction the others share.
	ctx, cancel := s.bound(context.Background())
	defer cancel()
	b := &batch{ops: ops, res: make([]result, len(ops)), at: s.stamp(), keep: s.opts.KeepVersions}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return b.run(ctx, tx) })
	if err != nil {
		err = dbError(ctx, ops[0].name(), err)
		for i := range b.res {
			b.res[i] = result{err: err}
		}
		return b.res
	}
	for _, r := range b.res {
		if c := r.change; len(c.Seats) > 0 && s.opts.OnCommit != nil {
			s.opts.OnCommit(c.Show, c.Version)
		}
	}
	return b.res
}

// batch is one transaction of the writer.
type batch struct {
	ops []*op
	res []result
	at  time.Time // every change of the batch is stamped with its start

	versions map[boxoffice.ShowID]int64 // as the batch has left them
	floors   map[boxoffice.ShowID]int64 // the change log's floors, as read
	keep     int                        // Options.KeepVersions
	log      changeRows
}

// changeRows are change-log rows, column by column, for one unnest.
type changeRows struct {
	show    []boxoffice.ShowID
	version []int64
	seq     []int32
	seat    []string
	holder  []*string
	by      []boxoffice.Guest
}

func (b *batch) run(ctx context.Context, tx pgx.Tx) error {
	// One round trip for the whole batch: the show locks, then every op's
	// statement, which the server runs one after the other, each seeing the
	// ones before.
	var ids []boxoffice.ShowID
	for _, o := range b.ops {
		if !slices.Contains(ids, o.show.ID) {
			ids = append(ids, o.show.ID)
		}
	}
	pipeline := &pgx.Batch{}
	pipeline.Queue(`SELECT id, version, log_floor FROM shows WHERE id = ANY ($1) ORDER BY id FOR NO KEY UPDATE`, ids)
	for _, o := range b.ops {
		if o.book {
			pipeline.Queue(bookSQL, o.show.ID, o.seats, o.guest, b.at, o.maxHeld, o.revision, string(o.ticket))
		} else {
			pipeline.Queue(releaseSQL, o.show.ID, o.seats, o.guest, o.revision)
		}
	}
	results := tx.SendBatch(ctx, pipeline)
	defer results.Close()

	b.versions, b.floors = map[boxoffice.ShowID]int64{}, map[boxoffice.ShowID]int64{}
	var (
		id             boxoffice.ShowID
		version, floor int64
	)
	rows, _ := results.Query()
	if _, err := pgx.ForEachRow(rows, []any{&id, &version, &floor}, func() error {
		b.versions[id], b.floors[id] = version, floor
		return nil
	}); err != nil {
		return err
	}
	for i, o := range b.ops {
		var (
			out        outcome
			kind, seat string
		)
		rows, _ := results.Query()
		if _, err := pgx.ForEachRow(rows, []any{&kind, &seat}, func() error {
			return out.add(kind, seat)
		}); err != nil {
			return err
		}
		b.res[i].change, b.res[i].err = b.record(o, out)
	}
	if err := results.Close(); err != nil {
		return err
	}
	return b.commit(ctx, tx)
}

// outcome is what an op's statement reported, row by row.
type outcome struct {
	changed, refused, limit []string
	held                    int
	stale, admitted         bool
}

func (out *outcome) add(kind, seat string) error {
	switch kind {
	case "stale":
		out.stale = true
	case "admitted":
		out.admitted = true
	case "refused":
		out.refused = append(out.refused, seat)
	case "changed":
		out.changed = append(out.changed, seat)
	case "limit":
		out.limit = append(out.limit, seat)
	case "held":
		n, err := strconv.Atoi(seat)
		if err != nil {
			return fmt.Errorf("held seats %q: %w", seat, err)
		}
		out.held = n
	}
	return nil
}

// record turns an op's outcome into its answer: the refusal naming every
// seat in the way, or its change at the show's next version, whose log rows
// the batch keeps for commit.
func (b *batch) record(o *op, out outcome) (boxoffice.Change, error) {
	id, changed, refused := o.show.ID, out.changed, out.refused
	switch {
	case out.stale:
		return boxoffice.Change{}, errStale
	case out.admitted:
		return boxoffice.Change{}, boxoffice.AdmittedError(o.show)
	case len(refused) > 0 && o.book:
		return boxoffice.Change{}, boxoffice.TakenError(seatIDs(inOrder(o.seats, refused)))
	case len(refused) > 0:
		return boxoffice.Change{}, boxoffice.NotYoursError(seatIDs(inOrder(o.seats, refused)))
	case len(out.limit) > 0:
		return boxoffice.Change{}, boxoffice.SeatLimitError(seatIDs(inOrder(o.seats, out.limit)), o.maxHeld, out.held)
	case len(changed) == 0:
		return boxoffice.Change{Show: id, Version: b.versions[id]}, nil
	}
	b.versions[id]++
	c := boxoffice.Change{Show: id, Version: b.versions[id], At: b.at}
	var holder *string
	if o.book {
		holder = (*string)(&o.guest)
	}
	for _, seat := range inOrder(o.seats, changed) { // in the order asked for
		sc := boxoffice.SeatChange{Seat: boxoffice.SeatID(seat), By: o.guest}
		if o.book {
			sc.Holder = o.guest
		}
		l := &b.log
		l.show, l.version, l.seq = append(l.show, id), append(l.version, c.Version), append(l.seq, int32(len(c.Seats)))
		l.seat, l.holder, l.by = append(l.seat, seat), append(l.holder, holder), append(l.by, o.guest)
		c.Seats = append(c.Seats, sc)
	}
	return c, nil
}

// commit writes the batch's new versions and change-log rows, and notifies
// the other instances of each show's last version.
func (b *batch) commit(ctx context.Context, tx pgx.Tx) error {
	if len(b.log.seat) == 0 {
		return nil
	}
	var (
		shows    []boxoffice.ShowID
		versions []int64
	)
	for show, v := range b.versions {
		if slices.Contains(b.log.show, show) {
			shows, versions = append(shows, show), append(versions, v)
		}
	}
	l := b.log
	compact := b.compactions(shows, versions)
	_, err := tx.Exec(ctx, `
		WITH logged AS (
			INSERT INTO changes (show_id, version, seq, seat_id, holder, by_guest, at)
			SELECT show_id, version, seq, seat_id, holder, by_guest, $7
			FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[])
				AS c (show_id, version, seq, seat_id, holder, by_guest)
		), bumped AS (
			UPDATE shows s SET version = n.version
			FROM unnest($8::text[], $9::bigint[]) AS n (id, version)
			WHERE s.id = n.id
			RETURNING s.id, s.version
		)
		SELECT pg_notify('`+channel+`', id || ' ' || version) FROM bumped`,
		l.show, l.version, l.seq, l.seat, l.holder, l.by, b.at, shows, versions)
	if err != nil {
		return err
	}
	for show, floor := range compact {
		if _, err := tx.Exec(ctx, compactSQL, show, floor, b.floors[show]); err != nil {
			return fmt.Errorf("compacting the change log of %s: %w", show, err)
		}
	}
	return nil
}

// inOrder returns the ids in keep, in the order of ids.
func inOrder(ids, keep []string) []string {
	var out []string
	for _, id := range ids {
		if slices.Contains(keep, id) {
			out = append(out, id)
		}
	}
	return out
}

func seatIDs(ids []string) []boxoffice.SeatID {
	out := make([]boxoffice.SeatID, len(ids))
	for i, id := range ids {
		out[i] = boxoffice.SeatID(id)
	}
	return out
}
