-- The change log is bounded (booking.go, compactSQL): per show, every change
-- of its last versions stays in changes, above the show's log_floor; of the
-- versions up to the floor only each seat's latest change is kept, in
-- compacted_changes. Readers asking for changes after a version below the
-- floor are told the history is gone and start again from a seat map. A
-- floor of 0 means nothing was compacted yet.
ALTER TABLE shows ADD COLUMN log_floor bigint NOT NULL DEFAULT 0 CHECK (log_floor >= 0);

-- Its own table, keyed by seat, rather than rows left behind in changes:
-- compacting then moves the oldest versions' rows here, one upsert per seat,
-- instead of searching the whole old log for each seat's latest row.
CREATE TABLE compacted_changes (
    show_id  text NOT NULL REFERENCES shows (id),
    seat_id  text NOT NULL,
    version  bigint NOT NULL CHECK (version > 0),
    holder   text,
    by_guest text NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (show_id, seat_id)
);
