package boxoffice

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// A ticket is a guest's proof of its seats in one show, for the door. Its
// code is derived, never drawn: the first 60 bits of
// SHA-256("boxoffice-ticket\x00" + show + "\x00" + the guest's cookie
// token), in Crockford's base32. So every instance and every restart derives
// the same code for a guest, a guest who releases everything and books
// again gets the same code back, and the code tells nothing of the cookie.
// The database keeps only the code's SHA-256 (TicketHash): a copy of it, or
// a backup, yields no code.

// crockford is Crockford's base32 alphabet: digits and letters but I, L, O
// and U, so that a code read aloud or typed from paper survives.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// TicketCodeLength is the number of symbols in a ticket code (60 bits).
const TicketCodeLength = 12

// TicketCode is a ticket's code in its canonical form: 12 symbols of
// crockford, without separators.
type TicketCode string

// TicketHash is the hex SHA-256 of a TicketCode: all the store keeps of it.
type TicketHash string

// TicketCodeFor derives the code of the ticket that the guest holding token
// has for show.
func TicketCodeFor(show ShowID, token string) TicketCode {
	h := sha256.New()
	h.Write([]byte("boxoffice-ticket\x00"))
	h.Write([]byte(show))
	h.Write([]byte{0})
	h.Write([]byte(token))
	bits := binary.BigEndian.Uint64(h.Sum(nil)) >> 4 // the first 60 bits
	var b [TicketCodeLength]byte
	for i := TicketCodeLength - 1; i >= 0; i-- {
		b[i] = crockford[bits&31]
		bits >>= 5
	}
	return TicketCode(b[:])
}

// TicketSymbol reads one character of a code as a person may type it: the
// symbol it stands for (any case, O for 0, I and L for 1) and true; 0 and
// true for a separator ('-' or ' '), which may stand anywhere and stands
// for nothing; false for anything else. ParseTicketCode and whatever shows
// a typed code (the logs) read it alike by it.
func TicketSymbol(c byte) (byte, bool) {
	switch {
	case c == '-' || c == ' ':
		return 0, true
	case 'a' <= c && c <= 'z':
		c -= 'a' - 'A'
	}
	switch c {
	case 'O':
		c = '0'
	case 'I', 'L':
		c = '1'
	}
	if strings.IndexByte(crockford, c) < 0 {
		return 0, false
	}
	return c, true
}

// ParseTicketCode reads a code as a person may type it (TicketSymbol). It
// reports false for anything that is not then 12 symbols of the alphabet.
func ParseTicketCode(s string) (TicketCode, bool) {
	if len(s) > 4*TicketCodeLength { // bounds the work on a hostile input
		return "", false
	}
	var b [TicketCodeLength]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c, ok := TicketSymbol(s[i])
		switch {
		case !ok || (c != 0 && n == TicketCodeLength):
			return "", false
		case c == 0: // a separator
			continue
		}
		b[n] = c
		n++
	}
	if n != TicketCodeLength {
		return "", false
	}
	return TicketCode(b[:]), true
}

// String is the code as shown to people: XXXX-XXXX-XXXX.
func (c TicketCode) String() string {
	if len(c) != TicketCodeLength {
		return string(c)
	}
	return string(c[0:4]) + "-" + string(c[4:8]) + "-" + string(c[8:12])
}

// Hash is what the store keeps of the code; "" for no code.
func (c TicketCode) Hash() TicketHash {
	if c == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(c))
	return TicketHash(hex.EncodeToString(sum[:]))
}

// Ticket is what a ticket stands for now: the show, the guest, the seats the
// guest holds in it (hall order), and when it was admitted at the door (zero
// if not yet).
type Ticket struct {
	Show       Show
	Guest      Guest
	Seats      []SeatID
	AdmittedAt time.Time
}

// Admitted reports whether the ticket was admitted at the door.
func (t Ticket) Admitted() bool { return !t.AdmittedAt.IsZero() }

// NoTicketError is the store's answer to a code that opens no ticket: none
// has that hash, or its guest holds no seat now.
func NoTicketError() *Error { return Errorf(ENOTFOUND, "There is no such ticket") }

// Found is a ticket as a store read it (its row, its show, its guest's
// seats in any order) held to the rules every store shares: a cancelled
// show's ticket is ErrCancelled, one whose guest holds no seat is not
// found, and the seats come in hall order.
func (t Ticket) Found() (Ticket, error) {
	switch {
	case t.Show.SalesState() == SalesCancelled:
		return Ticket{}, CancelledError(t.Show)
	case len(t.Seats) == 0:
		return Ticket{}, NoTicketError()
	}
	InHallOrder(&t.Show.Hall.Layout, t.Seats, func(s SeatID) SeatID { return s })
	return t, nil
}

// AdmitAt decides an admission at at of the ticket as the store read it
// under its show's lock: not first if it was admitted before (at any
// hour), ErrWrongDay outside the show's door window, else first, and the
// store then stores at.
func (t Ticket) AdmitAt(at time.Time) (first bool, err error) {
	switch {
	case t.Admitted():
		return false, nil
	case !t.Show.AdmitsAt(at):
		return false, WrongDayError(t.Show, t.Show.StartsAt.Format(time.RFC3339))
	}
	return true, nil
}

// The door admits a show's tickets from AdmitFrom before its start to
// AdmitUntil after it: the evening's shows, not next week's.
const (
	AdmitFrom  = 12 * time.Hour
	AdmitUntil = 6 * time.Hour
)

// AdmitsAt reports whether the show's tickets may be admitted at t.
func (s Show) AdmitsAt(t time.Time) bool {
	return !t.Before(s.StartsAt.Add(-AdmitFrom)) && !t.After(s.StartsAt.Add(AdmitUntil))
}

// AdmittedError refuses a booking or release by a guest whose ticket for the
// show was admitted at the door: the seats are in use. The seat map shows
// the sentence to the guest, so it names the show by its title.
func AdmittedError(show Show) *Error {
	return Errorf(EADMITTED, "Your ticket for %s was admitted at the door: its seats can no longer be booked or released", show.Title)
}

// WrongDayError refuses to admit a ticket outside its show's door window.
// starts is the show's start as the reader should see it: a store, which
// knows no time zone, writes RFC 3339; the door, the cinema's own time.
func WrongDayError(show Show, starts string) *Error {
	return Errorf(EWRONGDAY, "This ticket is for %s on %s. The door admits a show's tickets from %d hours before it starts until %d hours after.",
		show.Title, starts, int(AdmitFrom.Hours()), int(AdmitUntil.Hours()))
}
