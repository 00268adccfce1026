-- Halls, shows, who holds which seat, and each show's change log.

CREATE TABLE halls (
    id     text PRIMARY KEY,
    name   text NOT NULL,
    -- The layout description; boxoffice.ParseLayout reads it back, so the
    -- seats themselves need no table.
    layout text NOT NULL
);

CREATE TABLE shows (
    id        text PRIMARY KEY,
    title     text NOT NULL,
    starts_at timestamptz NOT NULL,
    hall_id   text NOT NULL REFERENCES halls (id),
    -- Bumped by one for every operation that changes a seat of the show. The
    -- bump is the last write of a booking transaction, so its row lock is
    -- held only from there to the commit, and versions commit in order.
    version   bigint NOT NULL DEFAULT 0 CHECK (version >= 0)
);

CREATE INDEX shows_by_start ON shows (starts_at, id);

-- One row per held seat. The primary key is the referee: of two guests
-- inserting the same seat, exactly one row wins, whichever instance each
-- guest reached.
CREATE TABLE bookings (
    show_id   text NOT NULL REFERENCES shows (id),
    seat_id   text NOT NULL,
    holder    text NOT NULL CHECK (holder <> ''),
    booked_at timestamptz NOT NULL,
    PRIMARY KEY (show_id, seat_id)
);

-- Append-only: one row per seat per operation, all rows of an operation at
-- the version it committed at. seq keeps the seats in the order they were
-- asked for.
CREATE TABLE changes (
    show_id  text NOT NULL REFERENCES shows (id),
    version  bigint NOT NULL CHECK (version > 0),
    seq      integer NOT NULL,
    seat_id  text NOT NULL,
    holder   text,
    by_guest text NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (show_id, version, seat_id)
);
