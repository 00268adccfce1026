package sqlite

import (
	"context"

	"boxoffice"
)

// Seed stores the programme if the database holds no hall yet. The check and
// the inserts share one write transaction, so two processes seeding the same
// new file store it once.
func (s *Store) Seed(ctx context.Context, p boxoffice.Programme) (bool, error) {
	if err := checkProgramme(p); err != nil {
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

// checkProgramme rejects a programme that could not be read back: halls are
// stored as their layout source, so a Layout built by hand, without
// ParseLayout, would be lost.
func checkProgramme(p boxoffice.Programme) error {
	if len(p.Halls) == 0 {
		return boxoffice.Errorf(boxoffice.EINVALID, "The programme has no halls")
	}
	halls := map[boxoffice.HallID]bool{}
	for _, h := range p.Halls {
		if h.ID == "" {
			return boxoffice.Errorf(boxoffice.EINVALID, "A hall has no id")
		}
		if _, err := boxoffice.ParseLayout(h.Layout.Source); err != nil {
			return boxoffice.Errorf(boxoffice.EINVALID, "Hall %s: %v", h.ID, err)
		}
		halls[h.ID] = true
	}
	for _, sh := range p.Shows {
		if sh.ID == "" {
			return boxoffice.Errorf(boxoffice.EINVALID, "A show has no id")
		}
		if !halls[sh.Hall.ID] {
			return boxoffice.Errorf(boxoffice.EINVALID, "Show %s plays in hall %q, which the programme lacks", sh.ID, sh.Hall.ID)
		}
	}
	return nil
}
