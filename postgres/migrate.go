package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Migrations are numbered files applied in name order, each once. A shipped
// migration is never edited: databases that already applied it would not
// see the edit. Change the schema with a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// schemaLock is the key of the transaction-scoped advisory lock taken by
// migrations and by Seed: instances starting together queue on it, and each
// finds the work done by the first.
const schemaLock = 0x626f786f6666 // "boxoff"

// migrate applies the migrations the database has not recorded yet, all in
// one transaction under the advisory lock: two instances starting at the
// same moment neither race nor fail, and a failed migration leaves no trace.
func (s *Store) migrate(ctx context.Context) error {
	// Longer than an operation: another instance may hold the lock while it
	// migrates.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: list migrations: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			name       text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
		applied, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		var known []string // ReadDir sorts by name
		for _, e := range entries {
			name := e.Name()
			known = append(known, name)
			if slices.Contains(applied, name) {
				continue
			}
			src, err := migrationFiles.ReadFile("migrations/" + name)
			if err != nil {
				return err
			}
			// No arguments: pgx sends it as a simple query, which may hold
			// several statements.
			if _, err := tx.Exec(ctx, string(src)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
				return err
			}
			s.opts.Logger.Info("postgres: applied migration", "name", name)
		}
		for _, name := range applied {
			if !slices.Contains(known, name) {
				s.opts.Logger.Warn("postgres: database has a migration this binary does not know", "name", name)
			}
		}
		return nil
	})
	return dbError(ctx, "migrate", err)
}
