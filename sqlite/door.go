package sqlite

import (
	"context"
	"errors"

	"boxoffice"
)

// errNotYet stands in for the door list's store methods until they are
// written (issue 13).
var errNotYet = errors.New("sqlite: not implemented yet")

// Bookings returns the door list.
func (s *Store) Bookings(ctx context.Context, show boxoffice.ShowID) ([]boxoffice.Booking, error) {
	return nil, errNotYet
}

// ReleaseSeats frees seats whoever holds them.
func (s *Store) ReleaseSeats(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID) (boxoffice.Change, error) {
	return boxoffice.Change{}, errNotYet
}

// ReleaseGuest frees every seat of one guest.
func (s *Store) ReleaseGuest(ctx context.Context, show boxoffice.ShowID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return boxoffice.Change{}, errNotYet
}
