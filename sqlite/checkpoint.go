package sqlite

import "context"

// Checkpoints off the commit path. SQLite's automatic checkpoint runs inside
// the COMMIT that grows the WAL past its limit, so that batch's guests wait
// for a copy of the WAL into the database file and an fsync of it on top of
// their own commit. The writer connection turns it off (wal_autocheckpoint(0),
// see dsn) and checkpoints between batches instead: when nobody is waiting
// once enough batches have gone by, or regardless once too many have, so the
// WAL stays bounded. It is the writer that checkpoints, not another
// connection beside it, because a checkpoint lets the WAL start over only if
// no commit came after it: one running beside a busy writer never catches
// up, and the WAL grows without end.

// checkpointIdle and checkpointMax are the batches after which the writer
// checkpoints when the queue is empty, and at the latest. A batch appends a
// few pages (bookings, changes, shows) to the WAL, so checkpointMax batches
// are of the order of the 1000 pages after which SQLite would checkpoint by
// itself.
const (
	checkpointIdle = 32
	checkpointMax  = 256
)

// maybeCheckpoint runs a PASSIVE checkpoint between batches when it is due.
// A failed checkpoint loses nothing: the frames stay in the WAL and the next
// one copies them.
func (s *Store) maybeCheckpoint() {
	s.sinceCkpt++
	if s.sinceCkpt < checkpointIdle || (s.sinceCkpt < checkpointMax && len(s.queue) > 0) {
		return
	}
	s.sinceCkpt = 0
	var busy, log, done int
	err := s.writer.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
	if err != nil {
		s.opts.Logger.Warn("sqlite: checkpoint failed", "err", err)
	}
}
