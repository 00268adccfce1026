// Package boxoffice holds the domain of the seat-booking server: shows, halls,
// seats, guests and the changes a booking makes. It imports neither HTTP nor
// SQL; the storage engines (sqlite, postgres) and the web layer depend on it,
// never the other way round.
package boxoffice

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// ShowID names one show (one screening of a film in a hall at a time).
type ShowID string

// SeatID names a seat inside a hall: row letters then the seat number, "A1", "K12".
type SeatID string

// HallID names a hall.
type HallID string

// Guest identifies a visitor without an account: the hex SHA-256 of the
// visitor's random cookie token. Only this hash is ever stored, and because it
// needs no server secret every instance and every restart recognises the guest.
type Guest string

// GuestFromToken derives the stored identity of the guest holding token.
func GuestFromToken(token string) Guest {
	sum := sha256.Sum256([]byte(token))
	return Guest(hex.EncodeToString(sum[:]))
}

// ForgottenGuest holds the seats of a show whose history was forgotten
// (Store.ForgetHistory): the seats stay booked, but nobody can be traced. It
// is not a hex SHA-256, so no token gives it, and CheckRequest refuses it,
// so no guest can ever book, release or see these seats as its own.
const ForgottenGuest Guest = "forgotten"

// Hall is a cinema auditorium with a fixed seating layout.
type Hall struct {
	ID     HallID
	Name   string
	Layout Layout
}

// Show is one screening: a film in a hall at a time.
type Show struct {
	ID       ShowID
	Title    string
	StartsAt time.Time
	Hall     Hall
	// Sales is whether its seats can be booked; "" reads as SalesOpen.
	Sales Sales
	// MaxSeatsPerGuest is the show's own cap on the seats one guest may
	// hold: nil takes the server's (--max-seats-per-guest), 0 is none.
	MaxSeatsPerGuest *int
}

// Sales says whether a show's seats can be booked and released.
type Sales string

const (
	SalesOpen   Sales = "open"
	SalesClosed Sales = "closed" // listed and viewable; booking and releasing refused
	// SalesCancelled: gone from the programme; its pages and API answer
	// that it was cancelled. Final: a cancelled show cannot change again.
	SalesCancelled Sales = "cancelled"
)

// SalesState is the show's Sales, SalesOpen when unset.
func (s Show) SalesState() Sales {
	if s.Sales == "" {
		return SalesOpen
	}
	return s.Sales
}

// OpenAt reports whether seats of the show can still be booked or released at
// t: sales are open and the show has not started.
func (s Show) OpenAt(t time.Time) bool { return s.SalesState() == SalesOpen && t.Before(s.StartsAt) }

// SeatCap is the cap on the seats one guest may hold in the show, given the
// server's: the show's own when it has one. 0 is no cap.
func (s Show) SeatCap(server int) int {
	if s.MaxSeatsPerGuest != nil {
		return *s.MaxSeatsPerGuest
	}
	return server
}

// ShowSummary is a show as listed in the programme, with its occupancy.
type ShowSummary struct {
	Show
	Booked int // seats held by some guest
}

// SeatsLeft is the number of free seats.
func (s ShowSummary) SeatsLeft() int { return len(s.Hall.Layout.Seats) - s.Booked }

// SeatMap is the state of every held seat of a show at one version. Seats that
// are absent from Holders are free.
type SeatMap struct {
	Show    Show
	Version int64
	Holders map[SeatID]Guest
}

// Status is a seat's state as one viewer sees it.
type Status string

const (
	StatusFree   Status = "free"
	StatusBooked Status = "booked" // held by someone other than the viewer
	StatusMine   Status = "mine"   // held by the viewer
)

// StatusFor tells how a seat held by holder ("" when free) looks to viewer.
func StatusFor(holder, viewer Guest) Status {
	switch {
	case holder == "":
		return StatusFree
	case holder == viewer:
		return StatusMine
	default:
		return StatusBooked
	}
}

// Change is one committed operation on a show: every seat it changed, all at
// one version. A change that changed nothing (booking one's own seat again,
// releasing a free seat) carries the show's current version and no seats.
type Change struct {
	Show    ShowID
	Version int64
	At      time.Time
	Seats   []SeatChange
	// Programme marks a change of the show itself (its time, title, sales,
	// its hall's layout, a cancellation), made by the operator: it carries
	// no seats, and whoever shows the show reads it afresh.
	Programme bool
}

// SeatChange is one seat's new state within a Change.
type SeatChange struct {
	Seat SeatID
	// Holder is the guest holding the seat after the change, "" when it was freed.
	Holder Guest
	// By is the guest who made the change: the new holder when booking, the
	// former holder when releasing. The change log keeps it for history.
	By Guest
}

// MaxSeatsPerRequest bounds how many seats one operation may name, so that no
// single request holds the writer for long or books a whole hall at once.
const MaxSeatsPerRequest = 20
