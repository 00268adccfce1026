package postgres

import "boxoffice"

// compactions returns the floors to compact the shows' change logs to, of
// the shows boxoffice.CompactLogTo names, in the batch's transaction, under
// the shows' locks: the versions up to the new floor leave changes, and
// each seat's latest change among them replaces the seat's in
// compacted_changes.
func (b *batch) compactions(shows []boxoffice.ShowID, versions []int64) map[boxoffice.ShowID]int64 {
	var out map[boxoffice.ShowID]int64
	for i, show := range shows {
		if floor, ok := boxoffice.CompactLogTo(versions[i], b.floors[show], b.keep); ok {
			if out == nil {
				out = map[boxoffice.ShowID]int64{}
			}
			out[show] = floor
		}
	}
	return out
}

// compactSQL moves the show's change rows above the old floor $3 and up to
// the new floor $2 out of changes, keeps the latest of each seat among them
// in compacted_changes, and records the new floor.
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
