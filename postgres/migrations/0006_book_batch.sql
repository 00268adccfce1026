-- A whole batch of bookings and releases in one call (issue 16): what the
-- writer sent as a transaction of four round trips and one statement per
-- operation (BEGIN; the show locks and one statement per op; the change
-- log, the versions and the NOTIFYs; COMMIT) runs here, in the one
-- implicit transaction of the statement that calls it: one round trip,
-- and simple statements whose plans PL/pgSQL keeps per connection.
-- booking.go says why a batch is correct and bookingsql.go what each op
-- does; this function keeps every step of it.
--
-- It only adds functions, so a rolling upgrade needs nothing more: an
-- instance of an older release, which ignores them, keeps sending its own
-- statements, and both take the same row locks in the same order and
-- write the same rows.

-- The floor to compact a show's change log to once it reached version,
-- above floor, keeping keep versions whole; NULL: not yet. The rule of
-- boxoffice.CompactLogTo, which TestCompactTo holds this to.
CREATE FUNCTION boxoffice_compact_to(version bigint, floor bigint, keep integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT version - keep WHERE version - keep - floor >= greatest(1, keep / 20)
$$;

-- boxoffice_compact moves the show's change rows above the old floor
-- p_floor and up to the new floor p_to out of changes, keeps the latest of
-- each seat among them in compacted_changes, and records the new floor.
-- It runs in the transaction that wrote the show's latest changes, under
-- the show's lock: boxoffice_batch's, or an admission's release (door.go,
-- through compactSQL).
CREATE FUNCTION boxoffice_compact(p_show text, p_to bigint, p_floor bigint) RETURNS void
LANGUAGE sql AS $$
    WITH moved AS (
        DELETE FROM changes c WHERE c.show_id = p_show AND c.version > p_floor AND c.version <= p_to
        RETURNING c.seat_id, c.version, c.holder, c.by_guest, c.at
    ), latest AS (
        SELECT DISTINCT ON (m.seat_id) m.seat_id, m.version, m.holder, m.by_guest, m.at
        FROM moved m ORDER BY m.seat_id, m.version DESC
    ), programme AS (
        DELETE FROM programme_changes p WHERE p.show_id = p_show AND p.version > p_floor AND p.version <= p_to
    ), kept AS (
        INSERT INTO compacted_changes (show_id, seat_id, version, holder, by_guest, at)
        SELECT p_show, latest.seat_id, latest.version, latest.holder, latest.by_guest, latest.at FROM latest
        ON CONFLICT (show_id, seat_id) DO UPDATE SET version = excluded.version,
            holder = excluded.holder, by_guest = excluded.by_guest, at = excluded.at
    )
    UPDATE shows s SET log_floor = p_to WHERE s.id = p_show;
$$;

-- boxoffice_batch runs the ops in order. Op i is a booking if p_book[i],
-- else a release, of the show p_shows[i] as the caller read it at revision
-- p_revisions[i], by p_guests[i]; a booking caps the guest's seats at
-- p_caps[i] (<= 0: none) and stores the ticket hash p_tickets[i] ('':
-- none). Its seats are p_seats[p_seat_ends[i-1]+1 : p_seat_ends[i]], in
-- the order asked for.
--
-- Per op, in order, it returns rows (op, kind, seat, version): one
-- 'stale' or one 'admitted', or a 'refused' per seat another guest holds,
-- and an op refused so ends there; otherwise a 'limit' per seat over the
-- cap and one 'held' with the guest's count, or a 'changed' per seat
-- changed, and last one 'version': the show's version after the op, its
-- own if it changed seats.
CREATE FUNCTION boxoffice_batch(
    p_book boolean[], p_shows text[], p_guests text[], p_caps integer[], p_revisions bigint[],
    p_tickets text[], p_seat_ends integer[], p_seats text[], p_at timestamptz, p_keep integer)
RETURNS TABLE (r_op integer, r_kind text, r_seat text, r_version bigint)
LANGUAGE plpgsql
-- Each statement below is an index probe or a write of a few rows, whose
-- best plan is the same for any arguments. Left to choose, PostgreSQL
-- plans a statement afresh on every call while a plan for the arguments
-- at hand looks cheaper than the generic one: in a first version, whose
-- statements took a whole op's seats as an array, that was a quarter of
-- the backend's CPU during a run of bookings.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    -- The batch's shows, in id order, as locked, and as the batch leaves them.
    l_ids text[] := '{}';
    l_versions bigint[] := '{}';
    l_floors bigint[] := '{}';
    l_revisions bigint[] := '{}';
    l_touched boolean[] := '{}';
    -- The change log rows, column by column, written at the end.
    c_show text[] := '{}';
    c_version bigint[] := '{}';
    c_seq integer[] := '{}';
    c_seat text[] := '{}';
    c_holder text[] := '{}';
    c_by text[] := '{}';

    l_row record;
    l_from integer := 0;
    l_k integer;
    l_show text;
    l_guest text;
    l_seats text[];
    l_seat text;
    l_holder text;
    l_mine boolean;
    l_admitted boolean;
    l_refused text[];
    l_booked text[];
    l_fresh text[];
    l_changed text[];
    l_held bigint;
    l_over boolean;
    l_seq integer;
    l_to bigint;
BEGIN
    -- Every writer of a show, on any instance, holds its row's lock until
    -- it commits, and takes the locks in id order: see booking.go.
    FOR l_row IN
        SELECT s.id, s.version, s.log_floor, s.revision FROM shows s
        WHERE s.id = ANY (p_shows) ORDER BY s.id FOR NO KEY UPDATE
    LOOP
        l_ids := l_ids || l_row.id;
        l_versions := l_versions || l_row.version;
        l_floors := l_floors || l_row.log_floor;
        l_revisions := l_revisions || l_row.revision;
        l_touched := l_touched || false;
    END LOOP;

    FOR i IN 1 .. cardinality(p_book) LOOP
        l_seats := p_seats[l_from + 1 : p_seat_ends[i]];
        l_from := p_seat_ends[i];
        l_show := p_shows[i];
        l_guest := p_guests[i];
        r_op := i;
        l_k := array_position(l_ids, l_show);
        -- A show is never deleted; one that is missing all the same is as
        -- good as changed: the caller reads it afresh.
        IF l_k IS NULL OR l_revisions[l_k] <> p_revisions[i] THEN
            r_kind := 'stale'; r_seat := ''; r_version := 0;
            RETURN NEXT;
            CONTINUE;
        END IF;

        SELECT t.admitted_at IS NOT NULL INTO l_admitted
        FROM tickets t WHERE t.show_id = l_show AND t.guest = l_guest;
        l_mine := FOUND;
        IF l_mine AND l_admitted THEN
            r_kind := 'admitted'; r_seat := ''; r_version := 0;
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- Seat by seat, one index probe and one write each: an op has
        -- one seat most often, and a statement this simple starts faster
        -- than one over all the seats with an aggregate of its rows.
        l_refused := '{}';
        l_booked := '{}';
        l_fresh := '{}';
        FOREACH l_seat IN ARRAY l_seats LOOP
            SELECT b.holder INTO l_holder FROM bookings b WHERE b.show_id = l_show AND b.seat_id = l_seat;
            IF NOT FOUND THEN
                l_fresh := l_fresh || l_seat;
            ELSIF l_holder <> l_guest THEN
                l_refused := l_refused || l_seat;
            ELSE
                l_booked := l_booked || l_seat;
            END IF;
        END LOOP;
        IF cardinality(l_refused) > 0 THEN
            FOREACH l_seat IN ARRAY l_refused LOOP
                r_kind := 'refused'; r_seat := l_seat; r_version := 0;
                RETURN NEXT;
            END LOOP;
            CONTINUE;
        END IF;

        l_changed := '{}';
        IF p_book[i] THEN
            l_over := false;
            IF p_caps[i] > 0 THEN
                -- Counted under the lock: no two bookings of one guest
                -- pass the cap together, whichever instance runs them.
                SELECT count(*) INTO l_held FROM bookings b WHERE b.show_id = l_show AND b.holder = l_guest;
                l_over := l_held + cardinality(l_fresh) > p_caps[i];
            END IF;
            IF l_over THEN
                FOREACH l_seat IN ARRAY l_fresh LOOP
                    r_kind := 'limit'; r_seat := l_seat; r_version := 0;
                    RETURN NEXT;
                END LOOP;
                r_kind := 'held'; r_seat := l_held::text; r_version := 0;
                RETURN NEXT;
            ELSE
                FOREACH l_seat IN ARRAY l_fresh LOOP
                    -- The primary key stays the referee.
                    INSERT INTO bookings (show_id, seat_id, holder, booked_at)
                    VALUES (l_show, l_seat, l_guest, p_at)
                    ON CONFLICT (show_id, seat_id) DO NOTHING;
                    IF FOUND THEN
                        l_changed := l_changed || l_seat;
                    END IF;
                END LOOP;
            END IF;
            -- A booking that stands stores the ticket if the guest has none.
            -- A clash of code_hash is two codes alike (60 bits): the later
            -- guest goes without a ticket rather than fail the batch.
            IF p_tickets[i] <> '' AND NOT l_mine
                AND (cardinality(l_changed) > 0 OR cardinality(l_fresh) = 0) THEN
                INSERT INTO tickets (show_id, guest, code_hash) VALUES (l_show, l_guest, p_tickets[i])
                ON CONFLICT DO NOTHING;
            END IF;
        ELSE
            -- No seat is another's: those found are the guest's.
            FOREACH l_seat IN ARRAY l_booked LOOP
                DELETE FROM bookings b WHERE b.show_id = l_show AND b.seat_id = l_seat AND b.holder = l_guest;
                IF FOUND THEN
                    l_changed := l_changed || l_seat;
                END IF;
            END LOOP;
        END IF;

        IF cardinality(l_changed) > 0 THEN
            -- The show's next version, and the op's change-log rows in the
            -- order its seats were asked for.
            l_versions[l_k] := l_versions[l_k] + 1;
            l_touched[l_k] := true;
            l_seq := 0;
            FOREACH l_seat IN ARRAY l_seats LOOP
                IF l_seat = ANY (l_changed) THEN
                    c_show := c_show || l_show;
                    c_version := c_version || l_versions[l_k];
                    c_seq := c_seq || l_seq;
                    c_seat := c_seat || l_seat;
                    c_holder := c_holder || CASE WHEN p_book[i] THEN l_guest END;
                    c_by := c_by || l_guest;
                    l_seq := l_seq + 1;
                    r_kind := 'changed'; r_seat := l_seat; r_version := l_versions[l_k];
                    RETURN NEXT;
                END IF;
            END LOOP;
        END IF;
        r_kind := 'version'; r_seat := ''; r_version := l_versions[l_k];
        RETURN NEXT;
    END LOOP;

    IF cardinality(c_seat) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO changes (show_id, version, seq, seat_id, holder, by_guest, at)
    SELECT c.show_id, c.version, c.seq, c.seat_id, c.holder, c.by_guest, p_at
    FROM unnest(c_show, c_version, c_seq, c_seat, c_holder, c_by)
        AS c (show_id, version, seq, seat_id, holder, by_guest);
    FOR k IN 1 .. cardinality(l_ids) LOOP
        CONTINUE WHEN NOT l_touched[k];
        UPDATE shows s SET version = l_versions[k] WHERE s.id = l_ids[k];
        -- Delivered only if the transaction commits. Channel and payload
        -- as channel in postgres.go says.
        PERFORM pg_notify('boxoffice_changes', l_ids[k] || ' ' || l_versions[k]);
        l_to := boxoffice_compact_to(l_versions[k], l_floors[k], p_keep);
        CONTINUE WHEN l_to IS NULL;
        -- In the same transaction, under the lock.
        PERFORM boxoffice_compact(l_ids[k], l_to, l_floors[k]);
    END LOOP;
END
$$;
