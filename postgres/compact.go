package postgres

// A batch of bookings compacts the change logs of its shows inside
// boxoffice_batch (migration 0006), by the rule of boxoffice.CompactLogTo
// (boxoffice_compact_to; TestCompactTo holds the two together) and with
// the statement below written out in PL/pgSQL. An admission's release
// (door.go) runs compactSQL itself.

// compactSQL moves the show's change rows above the old floor $3 and up to
// the new floor $2 out of changes, keeps the latest of each seat among them
// in compacted_changes, and records the new floor. It runs in the
// transaction that wrote the show's latest changes, under the show's lock.
const compactSQL = `
	WITH moved AS (
		DELETE FROM changes WHERE show_id = $1 AND version > $3 AND version <= $2
		RETURNING seat_id, version, holder, by_guest, at
	), latest AS (
		SELECT DISTINCT ON (seat_id) seat_id, version, holder, by_guest, at
		FROM moved ORDER BY seat_id, version DESC
	), programme AS (
		DELETE FROM programme_changes WHERE show_id = $1 AND version > $3 AND version <= $2
	), kept AS (
		INSERT INTO compacted_changes (show_id, seat_id, version, holder, by_guest, at)
		SELECT $1, seat_id, version, holder, by_guest, at FROM latest
		ON CONFLICT (show_id, seat_id) DO UPDATE SET version = excluded.version,
			holder = excluded.holder, by_guest = excluded.by_guest, at = excluded.at
	)
	UPDATE shows SET log_floor = $2 WHERE id = $1`
