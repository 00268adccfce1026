-- The change log is bounded (writer.go, compact): per show, every change of
-- its last versions and, below log_floor, only each seat's latest change.
-- Readers asking for changes after a version below log_floor are told the
-- history is gone and start again from a seat map. 0 means nothing was
-- compacted yet.
ALTER TABLE shows ADD COLUMN log_floor INTEGER NOT NULL DEFAULT 0 CHECK (log_floor >= 0);
