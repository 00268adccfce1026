-- Halls and shows change now (issue 13): the operator closes and cancels
-- sales, caps the seats one guest may hold, moves and renames shows and
-- redraws halls.
ALTER TABLE shows ADD COLUMN sales TEXT NOT NULL DEFAULT 'open' CHECK (sales IN ('open', 'closed', 'cancelled'));
-- NULL: the server's cap; 0: none.
ALTER TABLE shows ADD COLUMN max_seats_per_guest INTEGER CHECK (max_seats_per_guest >= 0);
-- The version of the show's last programme change (0: none): what the
-- stores' caches of a show and its hall are keyed by, so a reader that
-- meets a newer one reads the show afresh.
ALTER TABLE shows ADD COLUMN revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0);

-- A programme change has no seat, so it is not a row of changes (keyed and
-- checked per seat): each takes one version of its show, like a booking,
-- and ChangesSince merges the two tables in version order. Compaction and
-- ForgetHistory drop its rows with the seats' below the log's floor.
CREATE TABLE programme_changes (
    show_id TEXT NOT NULL REFERENCES shows (id),
    version INTEGER NOT NULL CHECK (version > 0),
    at      INTEGER NOT NULL,
    PRIMARY KEY (show_id, version)
) STRICT, WITHOUT ROWID;
