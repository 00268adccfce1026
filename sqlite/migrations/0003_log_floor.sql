-- The change log is bounded (writer.go, compact): per show, every change of
-- its last versions stays in changes, above the show's log_floor; of the
-- versions up to the floor only each seat's latest change is kept, in
-- compacted_changes. Readers asking for changes after a version below the
-- floor are told the history is gone and start again from a seat map. A
-- floor of 0 means nothing was compacted yet.
ALTER TABLE shows ADD COLUMN log_floor INTEGER NOT NULL DEFAULT 0 CHECK (log_floor >= 0);

-- Its own table, keyed by seat, rather than rows left behind in changes:
-- compacting then moves the oldest versions' rows here with one upsert per
-- seat and deletes them from changes as one range, instead of searching
-- the whole old log for each seat's latest row.
CREATE TABLE compacted_changes (
    show_id  TEXT NOT NULL REFERENCES shows (id),
    seat_id  TEXT NOT NULL,
    version  INTEGER NOT NULL CHECK (version > 0),
    state    TEXT NOT NULL CHECK (state IN ('booked', 'free')),
    holder   TEXT,
    by_guest TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (show_id, seat_id),
    CHECK ((state = 'booked') = (holder IS NOT NULL))
) STRICT, WITHOUT ROWID;

-- The seat cap counts a guest's seats in the show in the writer's
-- transaction; without this index that count reads every booking of the
-- show, for every capped booking.
CREATE INDEX bookings_by_holder ON bookings (show_id, holder);
