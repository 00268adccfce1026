-- Halls and shows change now (issue 13): the operator closes and cancels
-- sales, caps the seats one guest may hold, moves and renames shows and
-- redraws halls.
ALTER TABLE shows
    ADD COLUMN sales text NOT NULL DEFAULT 'open' CHECK (sales IN ('open', 'closed', 'cancelled')),
    -- NULL: the server's cap; 0: none.
    ADD COLUMN max_seats_per_guest integer CHECK (max_seats_per_guest >= 0),
    -- The version of the show's last programme change (0: none): what every
    -- instance's cache of a show and its hall is keyed by, and what a batch
    -- of bookings checks under the show's lock, so that no booking passes
    -- on a stale view of the show.
    ADD COLUMN revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0);

-- A programme change has no seat, so it is not a row of changes (keyed per
-- seat): each takes one version of its show, like a booking, and
-- ChangesSince merges the two tables in version order. Compaction and
-- ForgetHistory drop its rows with the seats' below the log's floor.
CREATE TABLE programme_changes (
    show_id text NOT NULL REFERENCES shows (id),
    version bigint NOT NULL CHECK (version > 0),
    at      timestamptz NOT NULL,
    PRIMARY KEY (show_id, version)
);
