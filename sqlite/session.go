package sqlite

import (
	"context"
	"errors"

	"boxoffice"
)

// errNotYet stands in for the admin sessions' store methods until they are
// written (issue 13).
var errNotYet = errors.New("sqlite: not implemented yet")

// CreateSession stores an admin session.
func (s *Store) CreateSession(ctx context.Context, as boxoffice.AdminSession) error { return errNotYet }

// Session returns an admin session.
func (s *Store) Session(ctx context.Context, hash string) (boxoffice.AdminSession, error) {
	return boxoffice.AdminSession{}, errNotYet
}

// DeleteSession ends an admin session.
func (s *Store) DeleteSession(ctx context.Context, hash string) error { return errNotYet }
