package postgres

// A batch of bookings compacts the change logs of its shows inside
// boxoffice_batch (migration 0006), by the rule of boxoffice.CompactLogTo
// (boxoffice_compact_to; TestCompactTo holds the two together), with
// boxoffice_compact. An admission's release (door.go) calls it through
// compactSQL.

// compactSQL moves the show $1's change rows above the old floor $3 and up
// to the new floor $2 out of changes, keeps the latest of each seat among
// them in compacted_changes, and records the new floor. It runs in the
// transaction that wrote the show's latest changes, under the show's lock.
const compactSQL = `SELECT boxoffice_compact($1, $2, $3)`
