-- Halls, shows, who holds which seat, and each show's change log.
-- Times are unix milliseconds (UTC): they sort as numbers and compare with
-- the store's clock without parsing.

CREATE TABLE halls (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    -- The layout description; boxoffice.ParseLayout reads it back, so the
    -- seats themselves need no table.
    layout TEXT NOT NULL
) STRICT;

CREATE TABLE shows (
    id        TEXT PRIMARY KEY,
    title     TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    hall_id   TEXT NOT NULL REFERENCES halls (id),
    -- Bumped by one for every operation that changes a seat of the show; the
    -- live feed and the change log are keyed by it.
    version   INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0)
) STRICT;

CREATE INDEX shows_by_start ON shows (starts_at, id);

-- One row per held seat. The primary key is the referee: of two guests
-- inserting the same seat, exactly one row wins.
CREATE TABLE bookings (
    show_id   TEXT NOT NULL REFERENCES shows (id),
    seat_id   TEXT NOT NULL,
    holder    TEXT NOT NULL CHECK (holder <> ''),
    version   INTEGER NOT NULL,
    booked_at INTEGER NOT NULL,
    PRIMARY KEY (show_id, seat_id)
) STRICT;

-- Append-only: one row per seat per operation, all rows of an operation at
-- the version it committed at. seq keeps the seats in the order they were
-- asked for.
CREATE TABLE changes (
    show_id  TEXT NOT NULL REFERENCES shows (id),
    version  INTEGER NOT NULL CHECK (version > 0),
    seq      INTEGER NOT NULL,
    seat_id  TEXT NOT NULL,
    state    TEXT NOT NULL CHECK (state IN ('booked', 'free')),
    holder   TEXT,
    by_guest TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (show_id, version, seat_id),
    CHECK ((state = 'booked') = (holder IS NOT NULL))
) STRICT;
