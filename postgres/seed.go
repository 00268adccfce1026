package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// Seed stores the programme if the database holds no hall yet, through the
// same code as ApplyProgramme. The check and
// the inserts share one transaction under the schema lock, so instances
// seeding an empty database together store it exactly once.
func (s *Store) Seed(ctx context.Context, p boxoffice.Programme) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, err
	}
	var seeded bool
	err := s.inTx(ctx, "seed", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM halls)`).Scan(&exists); err != nil || exists {
			return err
		}
		if _, _, err := s.applyIn(ctx, tx, p, false); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return seeded, nil
}
