// Package pgtemp makes throwaway PostgreSQL databases, for tests (through
// postgres/pgtest) and for the load tool, which each start from nothing and
// leave nothing behind. The store itself never creates databases.
package pgtemp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Create creates an empty database, named prefix and a random suffix, on the
// server serverURL reaches (as a role allowed to create databases), and
// returns its URL and a function that drops it, closing any connection
// still open to it.
func Create(ctx context.Context, serverURL, prefix string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("postgres: want a postgres:// URL of the server")
	}
	name := prefix + rand.Text()[:12]
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("postgres: connecting to create a database: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	quoted := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+quoted); err != nil {
		return "", nil, fmt.Errorf("postgres: creating database %s: %w", name, err)
	}
	u.Path = "/" + name
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			return fmt.Errorf("postgres: dropping database %s: %w", name, err)
		}
		defer conn.Close(ctx)
		// FORCE cannot end an autovacuum worker (it is no role's but the
		// superuser's: SQLSTATE 42501 for anyone else), which leaves the
		// database within moments: try again a few times.
		for try := 1; ; try++ {
			_, err := conn.Exec(ctx, "DROP DATABASE "+quoted+" WITH (FORCE)")
			var pgErr *pgconn.PgError
			if err == nil || try == 5 || !errors.As(err, &pgErr) || pgErr.Code != "42501" {
				if err != nil {
					return fmt.Errorf("postgres: dropping database %s: %w", name, err)
				}
				return nil
			}
			time.Sleep(time.Duration(try) * 100 * time.Millisecond)
		}
	}
	return u.String(), drop, nil
}
