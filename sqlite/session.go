package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"boxoffice"
)

// Admin sessions are rare writes (an operator signing in or out), so they
// take a plain write transaction on the writer's one connection, as the
// programme changes do, queueing between batches of bookings rather than
// opening a second writer.

// errDuplicateSession says a session's hash is taken. With 256 random bits
// behind each cookie it cannot happen by chance; the insert refuses rather
// than hand the other session's holder a new expiry.
var errDuplicateSession = errors.New("a session with this hash exists")

// CreateSession stores an admin session, and deletes sessions that have
// expired by the store's clock.
func (s *Store) CreateSession(ctx context.Context, as boxoffice.AdminSession) error {
	const op = "create a session"
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return dbError(op, err)
	}
	defer tx.Rollback()
	// Pruned first, so that a session created already expired is refused by
	// Session like any other rather than deleted by its own insert.
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE expires_at <= ?`, millis(s.opts.Now())); err != nil {
		return dbError(op, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO admin_sessions (hash, token_digest, expires_at) VALUES (?, ?, ?)`,
		as.Hash, as.TokenDigest, millis(as.Expires)); err != nil {
		var e *sqlite.Error
		if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return fmt.Errorf("sqlite: %s: %w", op, errDuplicateSession)
		}
		return dbError(op, err)
	}
	if err := tx.Commit(); err != nil {
		return dbError(op, err)
	}
	return nil
}

// Session returns the admin session whose cookie hashes to hash, ErrNotFound
// if there is none or it has expired by the store's clock.
func (s *Store) Session(ctx context.Context, hash string) (boxoffice.AdminSession, error) {
	as := boxoffice.AdminSession{Hash: hash}
	var expires int64
	err := s.reader.QueryRowContext(ctx, `SELECT token_digest, expires_at FROM admin_sessions WHERE hash = ?`, hash).
		Scan(&as.TokenDigest, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return boxoffice.AdminSession{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "No such session")
	}
	if err != nil {
		return boxoffice.AdminSession{}, dbError("read a session", err)
	}
	as.Expires = fromMillis(expires)
	// Expired rows stay until the next sign-in prunes them: the clock, not
	// the table, says whether a session is live.
	if !as.Expires.After(s.opts.Now()) {
		return boxoffice.AdminSession{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "The session has expired")
	}
	return as, nil
}

// DeleteSession ends an admin session; ending none is no error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	// One statement commits on its own; on the writer, since readers are
	// query_only.
	if _, err := s.writer.ExecContext(ctx, `DELETE FROM admin_sessions WHERE hash = ?`, hash); err != nil {
		return dbError("delete a session", err)
	}
	return nil
}
