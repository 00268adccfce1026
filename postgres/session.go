package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"boxoffice"
)

// Admin sessions live in the shared database, not in an instance, so every
// instance honours a sign-in and a sign-out on any one of them.

// errDuplicateSession says a session's hash is taken. With 256 random bits
// behind each cookie it cannot happen by chance; the insert refuses rather
// than hand the other session's holder a new expiry.
var errDuplicateSession = errors.New("a session with this hash exists")

// CreateSession stores an admin session, and deletes sessions that have
// expired by the store's clock.
func (s *Store) CreateSession(ctx context.Context, as boxoffice.AdminSession) error {
	const op = "create a session"
	err := s.inTx(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		// Pruned first, so that a session created already expired is refused
		// by Session like any other rather than deleted by its own insert.
		if _, err := tx.Exec(ctx, `DELETE FROM admin_sessions WHERE expires_at <= $1`, s.opts.Now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO admin_sessions (hash, token_digest, expires_at) VALUES ($1, $2, $3)`,
			as.Hash, as.TokenDigest, as.Expires)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
			return fmt.Errorf("%w (%w)", errDuplicateSession, err)
		}
		return err
	})
	return err
}

// Session returns the admin session whose cookie hashes to hash, ErrNotFound
// if there is none or it has expired by the store's clock.
func (s *Store) Session(ctx context.Context, hash string) (boxoffice.AdminSession, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	as := boxoffice.AdminSession{Hash: hash}
	err := s.pool.QueryRow(ctx, `SELECT token_digest, expires_at FROM admin_sessions WHERE hash = $1`, hash).
		Scan(&as.TokenDigest, &as.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return boxoffice.AdminSession{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "No such session")
	}
	if err != nil {
		return boxoffice.AdminSession{}, dbError(ctx, "read a session", err)
	}
	as.Expires = as.Expires.UTC()
	// The store's clock, not the database's, decides: expired rows stay
	// until the next sign-in prunes them.
	if !as.Expires.After(s.opts.Now()) {
		return boxoffice.AdminSession{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "The session has expired")
	}
	return as, nil
}

// DeleteSession ends an admin session; ending none is no error.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM admin_sessions WHERE hash = $1`, hash); err != nil {
		return dbError(ctx, "delete a session", err)
	}
	return nil
}
