package boxoffice

import (
	"context"
	"time"
)

// Store keeps halls, shows, who holds which seat, and each show's change log.
// Every engine (sqlite, postgres) implements it and passes the same suite,
// boxoffice/storetest.
//
// The store, not the caller, guarantees that a seat has at most one holder:
// each operation is atomic in the database, guarded by a uniqueness
// constraint on (show, seat), so the guarantee holds across processes.
//
// Errors are *Error values where the caller can act on them (match them with
// errors.Is against the Err* sentinels); anything else is an internal error.
type Store interface {
	// Shows lists every show ordered by start time, with its occupancy;
	// cancelled shows are left out (Programme has them).
	Shows(ctx context.Context) ([]ShowSummary, error)

	// Show returns one show with its hall, a cancelled one too, as the
	// database has it now: every programme change, on any instance, is
	// seen (on PostgreSQL, another instance's change by the time this
	// instance's watchers hear of it). ErrNotFound if there is none.
	Show(ctx context.Context, id ShowID) (Show, error)

	// SeatMap returns the holders of a show's seats, read in one snapshot
	// together with the version they correspond to. ErrNotFound if no show.
	SeatMap(ctx context.Context, id ShowID) (SeatMap, error)

	// Book makes every listed seat the guest's, all or nothing, and returns
	// the change with the version it committed at. Seats the guest already
	// holds are left as they are; if that is all of them nothing changes and
	// the show's current version is returned.
	//
	// maxHeld is the server's cap; the store applies Show.SeatCap(maxHeld),
	// the show's own when it has one, as read in the booking's transaction.
	// The cap limits the seats the guest may hold in the show (<= 0: no cap),
	// checked in the booking's own transaction, so that concurrent bookings
	// of one guest cannot pass it together. Seats the guest holds already
	// do not count against it: booking them again succeeds even at the cap,
	// and seats held before the cap was lowered stay held. The request is
	// refused whole when held + requested-and-not-held > maxHeld.
	//
	// ticket is the hash of the guest's ticket code for the show
	// (TicketCodeFor(show, token).Hash()): a booking that leaves the guest
	// holding seats stores it with the guest, in the same transaction,
	// unless the guest has it already, so that Ticket finds the guest's
	// seats by it. "" stores none (a caller without the guest's token).
	//
	// Errors, in the order they are checked: ErrCancelled, ErrClosed
	// (sales closed, or the show has started), ErrNotFound (no such show, or seats the hall lacks, named
	// in Error.Seats), ErrAdmitted (the guest's ticket for the show was
	// admitted at the door), ErrTaken (seats other guests hold, all named),
	// ErrSeatLimit (over the cap: Error.Seats are the requested seats not
	// held yet, in request order, Error.Limit the cap, Error.Held the seats
	// held now); ErrInvalid (no seats or too many) before any of them.
	Book(ctx context.Context, show ShowID, seats []SeatID, guest Guest, ticket TicketHash, maxHeld int) (Change, error)

	// Release frees every listed seat the guest holds, all or nothing. Seats
	// already free are left as they are.
	// Errors: ErrNotFound, ErrAdmitted, ErrNotYours (seats other guests
	// hold, all named), ErrClosed, ErrInvalid, as for Book.
	Release(ctx context.Context, show ShowID, seats []SeatID, guest Guest) (Change, error)

	// Ticket returns the ticket whose code hashes to hash, with the seats
	// its guest holds now, read in one snapshot. Errors: ErrNotFound (no
	// such ticket, or its guest holds no seat of the show now),
	// ErrCancelled (its show was cancelled).
	Ticket(ctx context.Context, hash TicketHash) (Ticket, error)

	// Admit marks the ticket admitted at the door at at, and reports
	// whether this call did it (first) or an earlier one had: then the
	// ticket carries the first admission's time, whatever at is. It is
	// decided under the show's lock, in turn with bookings and releases,
	// so that of concurrent admissions (on any instance) exactly one is
	// first, and no admission covers a half-released ticket. Errors, in
	// order: ErrNotFound and ErrCancelled as for Ticket; ErrWrongDay (not
	// admitted yet, and at is outside Show.AdmitsAt).
	Admit(ctx context.Context, hash TicketHash, at time.Time) (t Ticket, first bool, err error)

	// ChangesSince returns the show's changes with versions above after, in
	// version order, at most limit of them. ErrNotFound if no show.
	//
	// The log is bounded: it keeps every change of a show's last
	// versions (the stores' KeepVersions, DefaultKeepVersions by default)
	// and, of older ones (CompactLogTo says when they go), only each
	// seat's latest change; ForgetHistory drops a show's log altogether.
	// Below that floor the changes after after are no longer all there,
	// and ChangesSince answers ErrHistoryGone: the reader must start again
	// from a SeatMap. Above it, the changes are complete and consecutive.
	ChangesSince(ctx context.Context, show ShowID, after int64, limit int) ([]Change, error)

	// ForgetHistory deletes the change log of every show that started
	// before startedBefore and makes its bookings untraceable: each seat
	// stays held, but by ForgottenGuest, whom no guest can be. It reports
	// how many shows it forgot (a show already forgotten is not counted
	// again). Readers of such a show get ErrHistoryGone, then a snapshot.
	ForgetHistory(ctx context.Context, startedBefore time.Time) (shows int, err error)

	// Seed stores the programme if the store holds no hall yet, in one
	// transaction, and reports whether it did.
	Seed(ctx context.Context, p Programme) (bool, error)

	// Programme returns every hall and every show, cancelled shows
	// included: halls by id, shows by start time then id.
	Programme(ctx context.Context) (Programme, error)

	// ApplyProgramme creates or updates the halls and shows p names, by
	// id, all or nothing, in one transaction; halls and shows p does not
	// name are left as they are (it never deletes or cancels by omission).
	// A show may play in a hall that p lacks but the store has. With dryRun
	// nothing changes, and the report and errors are those of a real run.
	// Each show whose time, title, sales, cap, hall or hall's name or layout changes
	// gets its next version and a Programme change in its log, in the same
	// transaction (and, on PostgreSQL, a notification like a booking's).
	// The rules themselves are Programme.Plan's, shared by every store.
	// Errors: ErrProgramme (p is not valid, see Programme.Check, or a show
	// names a hall neither p nor the store has),
	// ErrConflict (a rule stands in the way, named in the detail: a booked
	// seat a new layout lacks, a booked show moving hall, a show that has
	// started or is cancelled changing, cancelling a show that holds
	// bookings).
	ApplyProgramme(ctx context.Context, p Programme, dryRun bool) (ProgrammeReport, error)

	// CancelShow cancels a show: its sales become SalesCancelled, in a
	// Programme change. A show holding bookings is ErrConflict unless
	// force, which first releases them all in one change; released is how
	// many seats that freed. Cancelling a cancelled show does nothing.
	// Errors: ErrNotFound, ErrConflict (bookings without force, or the show
	// has started).
	CancelShow(ctx context.Context, id ShowID, force bool) (released int, err error)

	// DeleteHall deletes a hall that no show (cancelled ones included)
	// plays in. Errors: ErrNotFound, ErrConflict.
	DeleteHall(ctx context.Context, id HallID) error

	// Bookings returns who holds which seat of a show, since when, and
	// whether the guest was admitted at the door, in
	// hall order of the seats (the layout's order: A2 before A10): the
	// door list, read in one snapshot. A cancelled show's list is
	// returned too. ErrNotFound if no show.
	Bookings(ctx context.Context, show ShowID) ([]Booking, error)

	// ReleaseSeats frees the listed seats whoever holds them, all in one
	// change at the show's next version (an operator undoing a squat),
	// each SeatChange's By its former holder, in the order listed; seats
	// already free are left as they are, and if that is all of them
	// nothing changes and the show's current version is returned. It
	// takes its version in turn with concurrent bookings, and reaches
	// watchers like a release. The list may be as long as the hall, not
	// just MaxSeatsPerRequest, and closed sales or a show that has started
	// do not stop it: an operator may free seats after sales closed.
	// Errors: ErrNotFound (no show, or seats the hall lacks, named),
	// ErrInvalid (no seats, or more than the hall has), ErrCancelled.
	ReleaseSeats(ctx context.Context, show ShowID, seats []SeatID) (Change, error)

	// ReleaseGuest frees every seat guest holds in the show, in one change
	// as ReleaseSeats does, its seats in hall order (no seats, and the
	// current version, when the guest holds none).
	// Errors: ErrNotFound, ErrCancelled.
	ReleaseGuest(ctx context.Context, show ShowID, guest Guest) (Change, error)

	// CreateSession stores an admin session, and deletes sessions that have
	// expired (so the table holds only live ones).
	CreateSession(ctx context.Context, s AdminSession) error

	// Session returns the admin session whose cookie hashes to hash.
	// ErrNotFound if there is none or it has expired.
	Session(ctx context.Context, hash string) (AdminSession, error)

	// DeleteSession ends a session (sign-out); ending none is no error.
	DeleteSession(ctx context.Context, hash string) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Close releases the store's connections.
	Close() error
}

// AdminSession is a signed-in operator of the admin pages. Only the
// SHA-256 of its cookie value is stored, so a copy of the database opens
// no session; TokenDigest is a digest of the admin token it was opened
// with, so that a new token ends every session opened with the old one.
type AdminSession struct {
	Hash        string // hex SHA-256 of the cookie value
	TokenDigest string
	Expires     time.Time
}

// Booking is one held seat of a show: who holds it and since when.
type Booking struct {
	Seat     SeatID
	Guest    Guest
	BookedAt time.Time
	// AdmittedAt is when the guest's ticket for the show was admitted at
	// the door; zero if it was not.
	AdmittedAt time.Time
}

// ProgrammeReport says what ApplyProgramme did (or, dry, would do) to each
// hall and show it was given, by id prefixed "hall:" or "show:", in the
// order given: added, changed, or left as it was (values compared, a show's
// start as an instant).
type ProgrammeReport struct {
	Added     []string `json:"added"`
	Changed   []string `json:"changed"`
	Unchanged []string `json:"unchanged"`
}

// Programme is a set of halls and the shows playing in them.
type Programme struct {
	Halls []Hall
	Shows []Show // each Show.Hall.ID names one of Halls
}

// DefaultKeepVersions is the change log's default length in versions (a
// store's KeepVersions of 0): far more than a reconnecting client is
// replayed, and at most a couple of minutes of a show's busiest sale.
const DefaultKeepVersions = 2000

// CompactLogTo is when a store compacts the change log of a show at
// version whose log floor is floor, keeping keep versions whole: once the
// show is a twentieth of keep (at least one, 100 at the default) versions
// past its floor plus keep, the versions up to the new floor to = version -
// keep give up all but each seat's latest change. Only then, so that a
// booking pays for one compaction per twentieth, not one each: the log
// holds at most keep plus a twentieth versions' rows, and one row per seat.
func CompactLogTo(version, floor int64, keep int) (to int64, ok bool) {
	k := int64(keep)
	to = version - k
	return to, to-floor >= max(1, k/20)
}
