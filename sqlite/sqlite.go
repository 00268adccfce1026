// Package sqlite stores the box office in one SQLite file, through the pure-Go
// driver modernc.org/sqlite.
//
// Two connection pools share the file: one writer connection, so that
// concurrent bookings queue in Go instead of failing with SQLITE_BUSY, and a
// pool of read-only connections, which WAL lets read while the writer writes.
package sqlite

import (
	"boxoffice/internal/groupcommit"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"boxoffice"
)

// Options configures a Store; the zero value is usable.
type Options struct {
	// Now is the store's clock: it closes sales when a show starts and stamps
	// the change log. Nil means time.Now.
	Now func() time.Time
	// OnCommit, if set, is called after every commit, once per operation
	// that changed seats, with the show and the version committed, outside
	// the transaction, in the writer goroutine, before the operation is
	// answered. It must not block: the next batch waits for it. The live hub takes it as a wake-up only and
	// reads the change log itself.
	OnCommit func(show boxoffice.ShowID, version int64)
	// OnBatch, if set, hears every batch of bookings and releases once it is
	// committed, before its operations are answered: how many operations it
	// held and how long the writer took from its first statement to the
	// commit's return. It runs in the writer goroutine and must not block.
	OnBatch func(ops int, took time.Duration)
	// Logger receives operational messages (migrations applied). Nil
	// discards them.
	Logger *slog.Logger
	// KeepVersions is how many of a show's latest versions the change log
	// keeps whole; of older ones it keeps only each seat's latest change.
	// Zero means boxoffice.DefaultKeepVersions.
	KeepVersions int
}

// Store is a boxoffice.Store in a SQLite file.
type Store struct {
	writer *sql.DB // exactly one connection
	reader *sql.DB // query_only connections
	opts   Options

	mu    sync.RWMutex
	shows map[boxoffice.ShowID]cachedShow // see cache

	writes    *groupcommit.Queue[*op, result] // bookings and releases, in batches (writer.go)
	stmts     writeStmts                      // the writer's, prepared on the writer pool
	versionOf *sql.Stmt                       // a show's version and log floor, on the reader pool
}

var _ boxoffice.Store = (*Store)(nil)

// pragmas are set on every connection through the DSN: a PRAGMA sent once
// with Exec would reach only whichever pooled connection ran it.
//
// busy_timeout comes first so that the others, which may need a lock on a
// file another process is using, wait for it instead of failing. The driver
// runs _pragma values with busy_timeout first whatever their order here.
// synchronous(FULL) because a booking is acknowledged to the guest only once
// committed: in WAL mode NORMAL may lose the last commits on power loss.
var pragmas = []string{
	"busy_timeout(5000)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(1)",
}

// dsn returns the driver's data source name for path. Write transactions
// begin IMMEDIATE, taking the write lock up front: a deferred transaction
// that reads and then writes can fail with SQLITE_BUSY mid-way when another
// process wrote in between, and busy_timeout cannot help with that.
func dsn(path string, readOnly bool) string {
	q := url.Values{"_pragma": pragmas}
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Open opens (creating if need be) the database at path, applies pending
// migrations and returns the store. path is a file name; ":memory:" does not
// work, since every pooled connection would get its own empty database.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.Contains(path, ":memory:") {
		return nil, fmt.Errorf("sqlite: open: want a file name, got %q", path)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.KeepVersions <= 0 {
		opts.KeepVersions = boxoffice.DefaultKeepVersions
	}
	s := &Store{opts: opts, shows: map[boxoffice.ShowID]cachedShow{}}

	var err error
	if s.writer, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)

	// The writer migrates, and so switches a new file to WAL, before any
	// reader connects: a query_only connection cannot change the journal mode.
	if err := s.migrate(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	if err := s.prepareWrites(ctx); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.writes = groupcommit.Start(maxBatch, s.runBatch, s.opts.OnBatch)

	if s.reader, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
	if err := s.reader.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if s.versionOf, err = s.reader.PrepareContext(ctx, `SELECT version, log_floor FROM shows WHERE id = ?`); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// Close stops the writer, once it has answered the ops it took, and closes
// both pools. Ops still queued are answered with an error, never applied.
func (s *Store) Close() error {
	if s.writes != nil {
		s.writes.Close()
	}
	var errs []error
	for _, p := range s.stmts.all() {
		if *p != nil {
			errs = append(errs, (*p).Close())
		}
	}
	if s.versionOf != nil {
		errs = append(errs, s.versionOf.Close())
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	return errors.Join(append(errs, s.writer.Close())...)
}

// Ping checks that both pools can reach the file.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return dbError("ping", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return dbError("ping", err)
	}
	return nil
}

// beginWrite starts a write transaction (BEGIN IMMEDIATE, see dsn).
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	return s.writer.BeginTx(ctx, nil)
}

// beginRead starts a read transaction: every query in it sees one snapshot.
func (s *Store) beginRead(ctx context.Context) (*sql.Tx, error) {
	return s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

// dbError wraps an error from the database with the operation it failed.
// Lock timeouts (another process holding the file too long) become
// ErrUnavailable, which callers may retry; the driver's error stays in the
// chain for the log.
func dbError(op string, err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("sqlite: %s: %w: %w", op,
				boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The database is busy, try again"), err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// millis and fromMillis convert times to and from their stored form.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
