package sqlite

import (
	"context"

	"boxoffice"
)

// Seed stores the programme if the database holds no hall yet, through the
// same code as ApplyProgramme. The check and the inserts share one write
// transaction, so two processes seeding the same new file store it once.
func (s *Store) Seed(ctx context.Context, p boxoffice.Programme) (bool, error) {
	if err := p.Validate(); err != nil {
		return false, err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return false, dbError("seed", err)
	}
	defer tx.Rollback()

	var seeded bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM halls)`).Scan(&seeded); err != nil {
		return false, dbError("seed", err)
	}
	if seeded {
		return false, nil
	}
	if _, _, err := s.applyIn(ctx, tx, p, false); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, dbError("seed", err)
	}
	return true, nil
}
