package postgres

// bookSQL and releaseSQL run one op under its show's lock, in one
// statement: if another guest holds any of the seats, nothing changes and
// those seats come back 'refused'; otherwise the seats that change come back
// 'changed'. Seats the guest holds already (book) or that are free (release)
// need nothing. Checking first is safe because every writer of the show
// holds its lock; the insert still lets the primary key decide.
//
// A booking with a cap ($5 > 0) that would leave the guest holding more
// seats than that changes nothing either: the seats it would have booked
// come back 'limit', and one row 'held' carries the seats the guest holds.
// The count scans the show's bookings only when a cap is given and no seat
// is refused.
//
// Both first check, under the lock, that the show's revision is still the
// one the op was checked against ($6 or $4): if the operator changed the
// show or its hall since (sales, start, layout, cap), nothing changes and
// one row 'stale' comes back.
//
// Then the guest's ticket for the show (its primary key, one index probe):
// once admitted at the door (Admit takes the same lock), the op changes
// nothing and one row 'admitted' comes back, before any seat is looked at.
// A booking that stands, one that changed seats or found them all the
// guest's already, stores the ticket $7 when the guest has none yet: in
// the same statement, so a booking of a guest who has it costs the probe
// alone.
const (
	bookSQL = `
		WITH stale AS (
			SELECT FROM shows WHERE id = $1 AND revision <> $6
		), mine AS (
			SELECT admitted_at FROM tickets WHERE show_id = $1 AND guest = $3 AND NOT EXISTS (SELECT FROM stale)
		), admitted AS (
			SELECT FROM mine WHERE admitted_at IS NOT NULL
		), refused AS (
			SELECT seat_id FROM bookings
			WHERE show_id = $1 AND seat_id = ANY ($2) AND holder <> $3 AND NOT EXISTS (SELECT FROM stale)
				AND NOT EXISTS (SELECT FROM admitted)
		), fresh AS (
			SELECT seat FROM unnest($2::text[]) AS seat
			WHERE NOT EXISTS (SELECT FROM bookings WHERE show_id = $1 AND seat_id = seat)
		), held AS (
			SELECT count(*) AS n FROM bookings
			WHERE $5::int > 0 AND NOT EXISTS (SELECT FROM refused) AND NOT EXISTS (SELECT FROM stale)
				AND NOT EXISTS (SELECT FROM admitted) AND show_id = $1 AND holder = $3
		), over AS (
			SELECT n FROM held
			WHERE $5::int > 0 AND NOT EXISTS (SELECT FROM refused) AND n + (SELECT count(*) FROM fresh) > $5::int
		), changed AS (
			INSERT INTO bookings (show_id, seat_id, holder, booked_at)
			SELECT $1, seat, $3, $4 FROM unnest($2::text[]) AS seat
			WHERE NOT EXISTS (SELECT FROM refused) AND NOT EXISTS (SELECT FROM over) AND NOT EXISTS (SELECT FROM stale)
				AND NOT EXISTS (SELECT FROM admitted)
			ON CONFLICT (show_id, seat_id) DO NOTHING
			RETURNING seat_id
		), ticket AS (
			-- A clash of code_hash is two codes alike (60 bits): the later
			-- guest goes without a ticket rather than fail the batch.
			INSERT INTO tickets (show_id, guest, code_hash)
			SELECT $1, $3, $7::text
			WHERE $7::text <> '' AND NOT EXISTS (SELECT FROM mine) AND NOT EXISTS (SELECT FROM stale)
				AND NOT EXISTS (SELECT FROM refused) AND (EXISTS (SELECT FROM changed) OR NOT EXISTS (SELECT FROM fresh))
			ON CONFLICT DO NOTHING
		)
		SELECT 'stale', '' FROM stale
		UNION ALL SELECT 'admitted', '' FROM admitted
		UNION ALL SELECT 'refused', seat_id FROM refused
		UNION ALL SELECT 'changed', seat_id FROM changed
		UNION ALL SELECT 'limit', seat FROM fresh WHERE EXISTS (SELECT FROM over)
		UNION ALL SELECT 'held', n::text FROM over`
	releaseSQL = `
		WITH stale AS (
			SELECT FROM shows WHERE id = $1 AND revision <> $4
		), admitted AS (
			SELECT FROM tickets
			WHERE show_id = $1 AND guest = $3 AND admitted_at IS NOT NULL AND NOT EXISTS (SELECT FROM stale)
		), refused AS (
			SELECT seat_id FROM bookings
			WHERE show_id = $1 AND seat_id = ANY ($2) AND holder <> $3 AND NOT EXISTS (SELECT FROM stale)
				AND NOT EXISTS (SELECT FROM admitted)
		), changed AS (
			DELETE FROM bookings
			WHERE show_id = $1 AND seat_id = ANY ($2) AND holder = $3 AND NOT EXISTS (SELECT FROM refused)
				AND NOT EXISTS (SELECT FROM stale) AND NOT EXISTS (SELECT FROM admitted)
			RETURNING seat_id
		)
		SELECT 'stale', '' FROM stale
		UNION ALL SELECT 'admitted', '' FROM admitted
		UNION ALL SELECT 'refused', seat_id FROM refused
		UNION ALL SELECT 'changed', seat_id FROM changed`
)
