package sqlite

import (
	"context"
	"time"

	"boxoffice"
)

// ForgetHistory deletes the change log of every show that started before
// startedBefore and hands its bookings to boxoffice.ForgottenGuest. Its
// transaction waits for the writer's connection like a batch does, so it
// never interleaves with one; the shows it touches have started, so no
// booking of theirs is in flight anyway.
func (s *Store) ForgetHistory(ctx context.Context, startedBefore time.Time) (int, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, dbError("forget history", err)
	}
	defer tx.Rollback()
	// A show is forgotten once: afterwards its floor is its version, no
	// holder is a guest and it has no tickets. The floor moves to the
	// version, so every reader that still wants a change of it is told the
	// history is gone.
	res, err := tx.ExecContext(ctx, `
		UPDATE shows SET log_floor = version
		WHERE starts_at < ?1 AND (log_floor < version OR EXISTS (
			SELECT 1 FROM bookings b WHERE b.show_id = shows.id AND b.holder <> ?2) OR EXISTS (
			SELECT 1 FROM tickets t WHERE t.show_id = shows.id))`,
		millis(startedBefore), boxoffice.ForgottenGuest)
	if err != nil {
		return 0, dbError("forget history", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("forget history", err)
	}
	if n == 0 {
		return 0, nil
	}
	for _, q := range []string{
		`DELETE FROM changes WHERE show_id IN (SELECT id FROM shows WHERE starts_at < ?1)`,
		`DELETE FROM compacted_changes WHERE show_id IN (SELECT id FROM shows WHERE starts_at < ?1)`,
		`DELETE FROM programme_changes WHERE show_id IN (SELECT id FROM shows WHERE starts_at < ?1)`,
		// No ticket may lead to a guest any more.
		`DELETE FROM tickets WHERE show_id IN (SELECT id FROM shows WHERE starts_at < ?1)`,
		`UPDATE bookings SET holder = ?2 WHERE holder <> ?2 AND show_id IN (SELECT id FROM shows WHERE starts_at < ?1)`,
	} {
		if _, err := tx.ExecContext(ctx, q, millis(startedBefore), boxoffice.ForgottenGuest); err != nil {
			return 0, dbError("forget history", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, dbError("forget history", err)
	}
	return int(n), nil
}
