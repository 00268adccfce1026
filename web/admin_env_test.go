package web_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/web"
)

const adminToken = "admin-test-token-0123456789abcdef"

// doorStore gives the real store the door list's three methods, built from
// its SeatMap and Release, until the stores' own land; every change still
// goes through the real store, its change log and the hub. Its BookedAt is
// the seat's index in the hall after doorEpoch, so that "earliest" is
// testable.
type doorStore struct{ boxoffice.Store }

var doorEpoch = time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)

func (d doorStore) Bookings(ctx context.Context, show boxoffice.ShowID) ([]boxoffice.Booking, error) {
	m, err := d.SeatMap(ctx, show)
	if err != nil {
		return nil, err
	}
	var out []boxoffice.Booking
	for i, seat := range m.Show.Hall.Layout.Seats {
		if g := m.Holders[seat.ID]; g != "" {
			out = append(out, boxoffice.Booking{Seat: seat.ID, Guest: g, BookedAt: doorEpoch.Add(time.Duration(len(m.Show.Hall.Layout.Seats)-i) * time.Minute)})
		}
	}
	return out, nil
}

func (d doorStore) ReleaseSeats(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID) (boxoffice.Change, error) {
	m, err := d.SeatMap(ctx, show)
	if err != nil {
		return boxoffice.Change{}, err
	}
	if m.Show.SalesState() == boxoffice.SalesCancelled {
		return boxoffice.Change{}, boxoffice.Errorf(boxoffice.ECANCELLED, "cancelled")
	}
	if len(seats) == 0 {
		return boxoffice.Change{}, boxoffice.Errorf(boxoffice.EINVALID, "no seats")
	}
	var unknown []boxoffice.SeatID
	byGuest := map[boxoffice.Guest][]boxoffice.SeatID{}
	for _, s := range seats {
		if !m.Show.Hall.Layout.Has(s) {
			unknown = append(unknown, s)
		} else if g := m.Holders[s]; g != "" {
			byGuest[g] = append(byGuest[g], s)
		}
	}
	if len(unknown) > 0 {
		return boxoffice.Change{}, boxoffice.UnknownSeatsError(show, unknown)
	}
	out := boxoffice.Change{Show: show, Version: m.Version}
	for g, ss := range byGuest {
		c, err := d.Release(ctx, show, ss, g)
		if err != nil {
			return boxoffice.Change{}, err
		}
		out.Version = c.Version
		out.Seats = append(out.Seats, c.Seats...)
	}
	slices.SortFunc(out.Seats, func(a, b boxoffice.SeatChange) int {
		return slices.Index(seats, a.Seat) - slices.Index(seats, b.Seat)
	})
	return out, nil
}

func (d doorStore) ReleaseGuest(ctx context.Context, show boxoffice.ShowID, guest boxoffice.Guest) (boxoffice.Change, error) {
	m, err := d.SeatMap(ctx, show)
	if err != nil {
		return boxoffice.Change{}, err
	}
	if m.Show.SalesState() == boxoffice.SalesCancelled {
		return boxoffice.Change{}, boxoffice.Errorf(boxoffice.ECANCELLED, "cancelled")
	}
	var seats []boxoffice.SeatID
	for _, s := range m.Show.Hall.Layout.Seats {
		if m.Holders[s.ID] == guest {
			seats = append(seats, s.ID)
		}
	}
	if len(seats) == 0 {
		return boxoffice.Change{Show: show, Version: m.Version}, nil
	}
	return d.Release(ctx, show, seats, guest)
}

// newAdminEnv is a test server with the admin token set and the door list
// methods supplied by doorStore; configure, if not nil, changes the config
// further.
func newAdminEnv(t *testing.T, configure func(*web.Config)) *env {
	t.Helper()
	return newEnvWith(t, testLayout, func(c *web.Config) {
		c.Store = doorStore{c.Store}
		c.AdminToken = adminToken
		if configure != nil {
			configure(c)
		}
	}, (*httptest.Server).Start)
}

// admin sends a request with the admin token.
func (g *guest) admin(method, path, contentType, body string, header ...string) response {
	g.e.t.Helper()
	return g.do(method, path, contentType, body, append([]string{"Authorization", "Bearer " + adminToken}, header...)...)
}
