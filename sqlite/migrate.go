package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// Migrations are numbered files applied in name order, each once. A shipped
// migration is never edited: databases that already applied it would not
// see the edit. Change the schema with a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations the database has not recorded yet, each in
// its own transaction together with its record, so a failed migration leaves
// no trace and is retried at the next Open.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return dbError("create schema_migrations", err)
	}
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	var names []string // ReadDir sorts by name
	for _, e := range entries {
		names = append(names, e.Name())
	}
	for _, name := range names {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
	}
	return s.warnUnknownMigrations(ctx, names)
}

func (s *Store) applyMigration(ctx context.Context, name string) error {
	src, err := migrationFiles.ReadFile("migrations/" + name)
	if err != nil {
		return fmt.Errorf("read migration %s: %w", name, err)
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return dbError("migrate "+name, err)
	}
	defer tx.Rollback()

	// Checked inside the write transaction: another process opening the
	// same file at the same time waits here, then finds the record.
	var done bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = ?)`, name).Scan(&done); err != nil {
		return dbError("migrate "+name, err)
	}
	if done {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(src)); err != nil {
		return dbError("migrate "+name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
		name, millis(s.opts.Now())); err != nil {
		return dbError("migrate "+name, err)
	}
	if err := tx.Commit(); err != nil {
		return dbError("migrate "+name, err)
	}
	s.opts.Logger.Info("sqlite: applied migration", "name", name)
	return nil
}

// warnUnknownMigrations logs migrations the database has and this binary
// does not: it is older than the schema, which may or may not matter.
func (s *Store) warnUnknownMigrations(ctx context.Context, known []string) error {
	rows, err := s.writer.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return dbError("list applied migrations", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return dbError("list applied migrations", err)
		}
		if !slices.Contains(known, name) {
			s.opts.Logger.Warn("sqlite: database has a migration this binary does not know", "name", name)
		}
	}
	if err := rows.Err(); err != nil {
		return dbError("list applied migrations", err)
	}
	return nil
}
