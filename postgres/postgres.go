// Package postgres stores the box office in PostgreSQL, through pgx and its
// connection pool, so that several boxoffice instances can share one
// database behind a load balancer.
//
// Correctness rests on the database, not on the instances: every writer of a
// show holds the lock on the show's row until it commits, and the primary key
// of bookings (show, seat) admits one row per seat. Writes are batched into
// one transaction per group of waiting operations (group commit); booking.go
// explains why that is correct across instances.
//
// Every commit that changes seats also sends a NOTIFY on the channel
// "boxoffice_changes" with the show and its new version; Listen wakes this
// instance's watchers when another instance committed.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"boxoffice"
	"boxoffice/internal/groupcommit"
)

// DefaultPoolSize is the pool's size when neither Options.PoolSize nor the
// URL's pool_max_conns sets it. A stock PostgreSQL allows 100 connections,
// shared by every instance.
const DefaultPoolSize = 8

// Options configures a Store; the zero value is usable.
type Options struct {
	// Now is the store's clock: it closes sales when a show starts and stamps
	// the change log. Nil means time.Now.
	Now func() time.Time
	// OnCommit, if set, is called once per operation of this store that
	// changed seats, with the show and the version committed: by the writer
	// goroutine, one call at a time, after the batch's commit and before the
	// operation is answered, in commit order (a show's versions arrive
	// increasing; with other instances writing too, not consecutive). It
	// must not block: the next batch waits for it. An operator's release
	// (ReleaseSeats, ReleaseGuest) commits outside the writer and calls it
	// from its own goroutine, concurrently with the writer's calls and
	// perhaps after a later version's: it must be safe for that (the live
	// hub keeps the highest version it heard).
	OnCommit func(show boxoffice.ShowID, version int64)
	// OnBatch, if set, hears every batch of bookings and releases once it is
	// committed, before its operations are answered: how many operations it
	// held and how long the writer took from its first statement to the
	// commit's return. It runs in the writer goroutine and must not block.
	OnBatch func(ops int, took time.Duration)
	// PoolSize caps the store's connections. Zero means the URL's
	// pool_max_conns, or DefaultPoolSize. Listen uses one more.
	PoolSize int
	// Timeout bounds each operation, so that callers get ErrUnavailable
	// promptly while the database is unreachable instead of waiting for
	// TCP to give up. Default 3s.
	Timeout time.Duration
	// Logger receives operational messages. Nil discards them.
	Logger *slog.Logger
	// KeepVersions is how many of a show's latest versions the change log
	// keeps whole; of older ones it keeps only each seat's latest change.
	// Zero means boxoffice.DefaultKeepVersions.
	KeepVersions int
}

// Store is a boxoffice.Store in a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	opts Options

	mu    sync.RWMutex
	shows map[boxoffice.ShowID]cachedShow // see showAt
	// What the listener heard of programme changes (see Show): whether
	// it listens; the latest revision heard of each show; and a count of
	// its starts and stops, so that a show read before one is not cached.
	listening bool
	revised   map[boxoffice.ShowID]int64
	epoch     uint64

	writes *groupcommit.Queue[*op, result] // bookings and releases, in batches (booking.go)
}

var _ boxoffice.Store = (*Store)(nil)

// IsURL reports whether db is a postgres:// or postgresql:// URL, the two
// schemes PostgreSQL's connection URLs take: what tells a PostgreSQL
// database from a SQLite file wherever one flag names either.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open connects to the database at url (a postgres:// URL or a keyword/value
// string, as pgx reads them), applies pending migrations and returns the
// store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.KeepVersions <= 0 {
		opts.KeepVersions = boxoffice.DefaultKeepVersions
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password and all.
		return nil, errors.New("postgres: the database URL does not parse")
	}
	if opts.PoolSize > 0 {
		cfg.MaxConns = int32(opts.PoolSize)
	} else if !strings.Contains(url, "pool_max_conns=") {
		cfg.MaxConns = DefaultPoolSize
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 || cfg.ConnConfig.ConnectTimeout > opts.Timeout {
		cfg.ConnConfig.ConnectTimeout = opts.Timeout
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "boxoffice"

	s := &Store{opts: opts, shows: map[boxoffice.ShowID]cachedShow{}, revised: map[boxoffice.ShowID]int64{}}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	s.writes = groupcommit.Start(maxBatch, s.runBatch, s.opts.OnBatch)
	return s, nil
}

// Close stops the writer, once it has answered the ops it took, and closes
// the pool. Ops still queued are answered with an error, never applied.
func (s *Store) Close() error {
	s.writes.Close()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return dbError(ctx, "ping", s.pool.Ping(ctx))
}

// bound limits ctx to the operation timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// inTx runs fn in a transaction, bounded by the operation timeout, and
// commits if fn returns nil.
func (s *Store) inTx(ctx context.Context, op string, fn func(context.Context, pgx.Tx) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
	return dbError(ctx, op, err)
}

// dbError classifies an error from an operation run under ctx. Domain errors
// pass through. The caller's own cancellation stays a context error. A
// database that cannot be reached, or that gave up on the operation for a
// reason worth retrying (shutdown, too many connections, a deadlock), gives
// ErrUnavailable. Anything else is an internal error.
func dbError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var domain *boxoffice.Error
	if errors.As(err, &domain) {
		return err
	}
	cause := context.Cause(ctx)
	if cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
		// The caller gave up (context.Canceled), not the database.
		return fmt.Errorf("postgres: %s: %w", op, cause)
	}
	if cause == nil && !unreachable(err) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return fmt.Errorf("postgres: %s: %w: %w", op,
		boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The database does not answer, try again in a moment"), err)
}

// unreachable reports whether err says the database could not be reached or
// gave up, rather than that the request or the store is at fault.
func unreachable(err error) bool {
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	switch {
	case errors.As(err, &connErr):
		// Whatever the server said, if it said anything: a database that
		// refuses connections (shut down, not accepting them, too many)
		// is unavailable, not broken.
		return true
	case errors.As(err, &pgErr):
		return retryable(pgErr.Code)
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	return false
}

// retryable reports whether a server error is one a client should retry
// later rather than a fault in the request or the store.
func retryable(code string) bool {
	switch code[:2] {
	case "08", // connection exception
		"53", // insufficient resources, too many connections among them
		"40", // transaction rollback: deadlock, serialization failure
		"57": // operator intervention: shutdown, terminated, statement timeout
		return true
	}
	return false
}

func showNotFound(id boxoffice.ShowID) error {
	return boxoffice.Errorf(boxoffice.ENOTFOUND, "Show %q does not exist", id)
}

// stamp is the store's clock at the precision timestamptz keeps, so that a
// Change returned from a write equals the one read back from the log.
func (s *Store) stamp() time.Time {
	return s.opts.Now().UTC().Truncate(time.Microsecond)
}

// channel is the NOTIFY channel every commit that changes seats notifies,
// with the payload "<show id> <version>".
const channel = "boxoffice_changes"

// programmeChannel is the NOTIFY channel of programme changes, with the
// payload "<show id> <revision>" for each show whose revision moved: what
// lets a listening store trust its cached shows (see Show). A trigger on
// the revision sends it (migration 0007), so that the programme changes of
// an instance of an older release, which neither sends nor hears it, reach
// it too.
const programmeChannel = "boxoffice_programme"
