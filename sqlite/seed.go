package sqlite

import (
	"context"

	"boxoffice"
)

// Seed stores the programme if the database holds no hall yet. The check and
// the inserts share one write transaction, so two processes seeding the same
// new file store it once.
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
	for _, h := range p.Halls {
		if _, err := tx.ExecContext(ctx, `INSERT INTO halls (id, name, layout) VALUES (?, ?, ?)`,
			h.ID, h.Name, h.Layout.Source); err != nil {
			return false, dbError("seed hall "+string(h.ID), err)
		}
	}
	for _, sh := range p.Shows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shows (id, title, starts_at, hall_id) VALUES (?, ?, ?, ?)`,
			sh.ID, sh.Title, millis(sh.StartsAt), sh.Hall.ID); err != nil {
			return false, dbError("seed show "+string(sh.ID), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, dbError("seed", err)
	}
	return true, nil
}
