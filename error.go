package boxoffice

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Error codes. The web layer maps each to one HTTP status in one place.
const (
	ENOTFOUND    = "not_found"          // no such show or seat
	ETAKEN       = "taken"              // a seat is held by another guest
	ENOTYOURS    = "not_yours"          // releasing a seat another guest holds
	ECLOSED      = "closed"             // the show has started: sales are closed
	EINVALID     = "invalid"            // the request is well formed but cannot be done as asked
	EUNAVAILABLE = "unavailable"        // the database cannot be reached right now
	ESEATLIMIT   = "seat_limit"         // the guest would hold more seats of the show than allowed
	EHISTORYGONE = "history_gone"       // the change log no longer holds the changes asked for
	ECANCELLED   = "cancelled"          // the show was cancelled
	ECONFLICT    = "programme_conflict" // a programme change that bookings or the show's state stand in the way of
	EPROGRAMME   = "invalid_programme"  // a programme document or body that is not valid
	EADMITTED    = "admitted"           // the guest's ticket was admitted at the door: its seats are fixed
	EWRONGDAY    = "wrong_day"          // a ticket shown at the door outside its show's window
)

// Error is a domain error: a machine-readable code, a sentence for people, and
// the seats involved, if any.
type Error struct {
	Code   string
	Detail string
	Seats  []SeatID
	// Limit and Held explain a seat_limit refusal: the cap, and how many
	// seats the guest holds in the show now. Zero for every other code.
	Limit int
	Held  int
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Code
}

// Is matches errors by code, so errors.Is(err, ErrTaken) holds for any taken
// error whatever its seats and detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrNotFound    = &Error{Code: ENOTFOUND}
	ErrTaken       = &Error{Code: ETAKEN}
	ErrNotYours    = &Error{Code: ENOTYOURS}
	ErrClosed      = &Error{Code: ECLOSED}
	ErrInvalid     = &Error{Code: EINVALID}
	ErrUnavailable = &Error{Code: EUNAVAILABLE}
	ErrSeatLimit   = &Error{Code: ESEATLIMIT}
	ErrHistoryGone = &Error{Code: EHISTORYGONE}
	ErrCancelled   = &Error{Code: ECANCELLED}
	ErrConflict    = &Error{Code: ECONFLICT}
	ErrProgramme   = &Error{Code: EPROGRAMME}
	ErrAdmitted    = &Error{Code: EADMITTED}
	ErrWrongDay    = &Error{Code: EWRONGDAY}
)

// Errorf returns an *Error with the given code and a formatted detail.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or "" when
// there is none (an internal error).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorSeats returns the seats named by the first *Error in err's chain.
func ErrorSeats(err error) []SeatID {
	var e *Error
	if errors.As(err, &e) {
		return e.Seats
	}
	return nil
}

// TakenError reports seats held by other guests.
func TakenError(seats []SeatID) *Error {
	return &Error{Code: ETAKEN, Seats: seats, Detail: seatSentence("Seat", "is taken", "are taken", seats)}
}

// NotYoursError reports seats that another guest holds and the caller tried to release.
func NotYoursError(seats []SeatID) *Error {
	return &Error{Code: ENOTYOURS, Seats: seats,
		Detail: seatSentence("Seat", "is held by another guest", "are held by other guests", seats)}
}

// UnknownSeatsError reports seat ids that the show's hall does not have.
func UnknownSeatsError(show ShowID, seats []SeatID) *Error {
	return &Error{Code: ENOTFOUND, Seats: seats,
		Detail: seatSentence("Seat", "does not exist", "do not exist", seats) + " in show " + string(show)}
}

// SeatLimitError refuses a booking that would leave the guest holding more
// than limit seats of the show: seats are the requested seats the guest does
// not hold yet, in request order, and held the seats the guest holds now.
func SeatLimitError(seats []SeatID, limit, held int) *Error {
	return &Error{Code: ESEATLIMIT, Seats: seats, Limit: limit, Held: held,
		Detail: fmt.Sprintf("You can hold at most %d seats for this show.", limit)}
}

// HistoryGoneError says that the show's change log no longer holds every
// change after version after: it was compacted or forgotten up to floor.
func HistoryGoneError(show ShowID, after, floor int64) *Error {
	return Errorf(EHISTORYGONE, "The changes of show %s after version %d are no longer kept (the log starts after version %d)",
		show, after, floor)
}

// seatSentence says "Seat C7 is taken" or "Seats C7, C8 are taken".
func seatSentence(noun, one, many string, seats []SeatID) string {
	if len(seats) == 1 {
		return noun + " " + string(seats[0]) + " " + one
	}
	ids := make([]string, len(seats))
	for i, s := range seats {
		ids[i] = string(s)
	}
	return noun + "s " + strings.Join(ids, ", ") + " " + many
}

// CheckRequest validates a request to book or release seats for guest, before
// any store looks at the show: CheckSeats, and a guest must be given (an
// empty holder reads as a free seat) that is not ForgottenGuest.
func CheckRequest(seats []SeatID, guest Guest) ([]SeatID, error) {
	seats, err := CheckSeats(seats)
	if err != nil {
		return nil, err
	}
	if guest == "" || guest == ForgottenGuest {
		return nil, Errorf(EINVALID, "No guest given")
	}
	return seats, nil
}

// CancelledError refuses anything but reading the show's programme entry
// once the show was cancelled.
func CancelledError(show Show) *Error { return Errorf(ECANCELLED, "%s has been cancelled", show.Title) }

// Admit checks that seats of the show can be booked or released at now:
// sales are open (ErrClosed) and the hall has every seat (ErrNotFound, naming
// the seats it lacks).
func (s Show) Admit(seats []SeatID, now time.Time) error {
	switch {
	case s.SalesState() == SalesCancelled:
		return CancelledError(s)
	case s.SalesState() == SalesClosed:
		return Errorf(ECLOSED, "Sales for %s are closed", s.Title)
	case !s.OpenAt(now):
		return Errorf(ECLOSED, "Sales for %s closed when the show started", s.Title)
	}
	var unknown []SeatID
	for _, seat := range seats {
		if !s.Hall.Layout.Has(seat) {
			unknown = append(unknown, seat)
		}
	}
	if len(unknown) > 0 {
		return UnknownSeatsError(s.ID, unknown)
	}
	return nil
}

// CheckSeats validates the seat list of one operation: at least one seat, at
// most MaxSeatsPerRequest. It returns the list with repeated ids dropped, in
// their first order.
func CheckSeats(seats []SeatID) ([]SeatID, error) {
	if len(seats) == 0 {
		return nil, Errorf(EINVALID, "Name at least one seat")
	}
	if len(seats) > MaxSeatsPerRequest {
		return nil, Errorf(EINVALID, "At most %d seats can be booked at once, not %d", MaxSeatsPerRequest, len(seats))
	}
	out := make([]SeatID, 0, len(seats))
	for _, s := range seats {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
