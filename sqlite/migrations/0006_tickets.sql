-- Tickets (issue 14): a guest holding seats in a show has one ticket for it.
-- Only the SHA-256 of its code is kept, so a copy of the database yields no
-- code. The row outlives the guest's seats (a guest who releases everything
-- and books again has the same ticket, admitted or not), and goes with the
-- show's history (ForgetHistory). admitted_at: NULL until the door admits
-- it, then unix milliseconds (UTC), like every other time here.
CREATE TABLE tickets (
    show_id     TEXT NOT NULL REFERENCES shows (id),
    guest       TEXT NOT NULL CHECK (guest <> ''),
    code_hash   TEXT NOT NULL UNIQUE,
    admitted_at INTEGER,
    PRIMARY KEY (show_id, guest)
) STRICT, WITHOUT ROWID;
