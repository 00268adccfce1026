-- Tickets (issue 14): a guest holding seats in a show has one ticket for it.
-- Only the SHA-256 of its code is kept, so a copy of the database yields no
-- code. The row outlives the guest's seats (a guest who releases everything
-- and books again has the same ticket, admitted or not), and goes with the
-- show's history (ForgetHistory). It is written and admitted under the
-- show's row lock, in turn with the show's bookings, on every instance.
CREATE TABLE tickets (
    show_id     text NOT NULL REFERENCES shows (id),
    guest       text NOT NULL CHECK (guest <> ''),
    code_hash   text NOT NULL UNIQUE,
    admitted_at timestamptz,
    PRIMARY KEY (show_id, guest)
);
