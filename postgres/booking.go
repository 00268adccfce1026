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
// one WAL flush however many guests it serves. The transaction is one call
// of the function boxoffice_batch (bookingsql.go, migration 0006): one
// statement, one round trip. Why a batch is correct, across any number of
// instances:
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
//     guest's ticket if it has none (bookingsql.go). The operations run in
//     order, each seeing the ones before (the function is VOLATILE: each
//     of its statements takes a fresh snapshot, as separate statements
//     did).
//   - Each operation that changed seats gets the next version of its show
//     and its own change-log rows, all written with the new versions and a
//     NOTIFY per show at the batch's end. PostgreSQL delivers a NOTIFY
//     only if its transaction commits.
//   - Nobody is answered before the commit: an acknowledged booking is
//     durable (with synchronous_commit on, PostgreSQL's default). The
//     function's rows reach the writer before the commit, its outcome
//     after them, and the writer waits for it (callBatch). If the commit
//     fails, every operation of the batch gets the error.

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
	res, err := s.callBatch(ctx, ops)
	if err != nil {
		err = dbError(ctx, ops[0].name(), err)
		for i := range res {
			res[i] = result{err: err}
		}
		return res
	}
	for _, r := range res {
		if c := r.change; len(c.Seats) > 0 && s.opts.OnCommit != nil {
			s.opts.OnCommit(c.Show, c.Version)
		}
	}
	return res
}

// callBatch runs the ops in one call of boxoffice_batch (bookingsql.go),
// one statement and so one implicit transaction, and returns each op's
// answer once PostgreSQL has committed it: the rows arrive before the
// commit, its outcome (ReadyForQuery, or an error) after them, and the
// rows' Close waits for it.
func (s *Store) callBatch(ctx context.Context, ops []*op) ([]result, error) {
	res := make([]result, len(ops))
	at := s.stamp()
	args := batchArgs(ops, at, s.opts.KeepVersions)
	rows, _ := s.pool.Query(ctx, batchSQL, args...)
	outs := make([]outcome, len(ops))
	var (
		i          int
		kind, seat string
		version    int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&i, &kind, &seat, &version}, func() error {
		if i < 1 || i > len(ops) {
			return fmt.Errorf("boxoffice_batch answered op %d of %d", i, len(ops))
		}
		return outs[i-1].add(kind, seat, version)
	}); err != nil {
		return res, err
	}
	for i, o := range ops {
		res[i].change, res[i].err = outs[i].answer(o, at)
	}
	return res, nil
}

// outcome is what boxoffice_batch reported of an op, row by row.
type outcome struct {
	changed, refused, limit []string
	held                    int
	stale, admitted         bool
	version                 int64 // the show's, after the op
	versioned               bool  // whether a row reported version
}

func (out *outcome) add(kind, seat string, version int64) error {
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
	case "version":
		out.version, out.versioned = version, true
	default:
		return fmt.Errorf("boxoffice_batch answered %q", kind)
	}
	return nil
}

// answer turns an op's outcome into its answer: the refusal naming every
// seat in the way, or its change at the version the batch gave it, with
// its seats in the order asked for, as its change-log rows have them.
func (out *outcome) answer(o *op, at time.Time) (boxoffice.Change, error) {
	id := o.show.ID
	switch {
	case out.stale:
		return boxoffice.Change{}, errStale
	case out.admitted:
		return boxoffice.Change{}, boxoffice.AdmittedError(o.show)
	case len(out.refused) > 0 && o.book:
		return boxoffice.Change{}, boxoffice.TakenError(seatIDs(inOrder(o.seats, out.refused)))
	case len(out.refused) > 0:
		return boxoffice.Change{}, boxoffice.NotYoursError(seatIDs(inOrder(o.seats, out.refused)))
	case len(out.limit) > 0:
		return boxoffice.Change{}, boxoffice.SeatLimitError(seatIDs(inOrder(o.seats, out.limit)), o.maxHeld, out.held)
	case !out.versioned:
		return boxoffice.Change{}, fmt.Errorf("boxoffice_batch reported no version of %s", id)
	case len(out.changed) == 0:
		return boxoffice.Change{Show: id, Version: out.version}, nil
	}
	c := boxoffice.Change{Show: id, Version: out.version, At: at}
	for _, seat := range inOrder(o.seats, out.changed) {
		sc := boxoffice.SeatChange{Seat: boxoffice.SeatID(seat), By: o.guest}
		if o.book {
			sc.Holder = o.guest
		}
		c.Seats = append(c.Seats, sc)
	}
	return c, nil
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
