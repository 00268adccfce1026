package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"boxoffice"
)

// book is Store.Book with the server's seat cap, which the store checks in
// the booking's own transaction, and the guest's ticket for the show, which
// the store keeps with the first seat; a refusal is counted for the operator.
func (s *server) book(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	c, err := s.Store.Book(ctx, show, seats, guest, ticketOf(ctx, show).Hash(), s.MaxSeatsPerGuest)
	if errors.Is(err, boxoffice.ErrSeatLimit) {
		s.refused(ctx, "seats_per_guest")
	}
	return c, err
}

// seatOp is a store operation on seats: server.book or Store.Release.
type seatOp func(context.Context, boxoffice.ShowID, []boxoffice.SeatID, boxoffice.Guest) (boxoffice.Change, error)

// handleSeatWrite books (PUT) or releases (DELETE) the path's seat and
// answers with the seat as it now is for the caller. Both are idempotent:
// repeating one answers 200 as the first did.
func (s *server) handleSeatWrite(op seatOp, after boxoffice.Status) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		show, seat, err := s.showSeat(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		c, err := op(r.Context(), show.ID, []boxoffice.SeatID{seat.ID}, guestOf(r))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		sj := seatView(seat, after)
		writeJSON(w, http.StatusOK, writeResult{Version: c.Version, Seat: &sj})
	})
}

// handleBookSeats books several seats at once, all or nothing.
func (s *server) handleBookSeats() http.Handler {
	type request struct {
		Seats []boxoffice.SeatID `json:"seats"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		show, err := s.pathShow(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		var req request
		if err := decodeJSON(w, r, &req); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		c, err := s.book(r.Context(), show.ID, req.Seats, guestOf(r))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		seats, _ := boxoffice.CheckSeats(req.Seats) // Book accepted them
		res := writeResult{Version: c.Version, Seats: make([]seatJSON, len(seats))}
		for i, id := range seats {
			seat, _ := show.Hall.Layout.Seat(id)
			res.Seats[i] = seatView(seat, boxoffice.StatusMine)
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// Outcomes of a form post, carried to the map page in its query string;
// and resultTooManyRequests, with retry=N, from the write rate (writerate.go).
const (
	resultBooked      = "booked"
	resultReleased    = "released"
	resultTaken       = "taken"
	resultNotYours    = "not-yours"
	resultSeatLimit   = "seat-limit" // with limit=N, the cap
	resultClosed      = "closed"
	resultAdmitted    = "admitted" // the guest's ticket was admitted at the door
	resultUnknown     = "unknown"
	resultUnavailable = "unavailable"
	resultError       = "error"
)

// handleSeatForm serves the seat map's form for browsers without JavaScript:
// a button named "seat" books, one named "release" releases. It answers 303
// back to the map, whose live region then tells the outcome (Post/Redirect/Get).
func (s *server) handleSeatForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		show, err := s.pathShow(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			s.writeProblem(w, r, unreadable(err, "The form could not be read."))
			return
		}
		op, seat := s.book, r.PostForm.Get("seat")
		okResult := resultBooked
		if rel := r.PostForm.Get("release"); rel != "" {
			op, seat, okResult = s.Store.Release, rel, resultReleased
		}
		result, extra := okResult, url.Values{}
		if !show.Hall.Layout.Has(boxoffice.SeatID(seat)) {
			result, seat = resultUnknown, ""
		} else if _, err := op(r.Context(), show.ID, []boxoffice.SeatID{boxoffice.SeatID(seat)}, guestOf(r)); err != nil {
			result = formResult(err)
			if limit, ok := seatLimitOf(err); ok && limit > 0 {
				extra.Set("limit", strconv.Itoa(limit))
			}
			if result == resultError {
				s.log.ErrorContext(r.Context(), "seat form failed", "show", show.ID, "seat", seat, "err", err)
			}
		}
		redirectToMap(w, r, string(show.ID), result, seat, extra)
	})
}

// redirectToMap answers a form post with 303 to the show's map, carrying
// the outcome (one of the result constants), the seat it is about (if any)
// and extra values the outcome's sentence needs: limit for seat-limit,
// retry for too-many-requests.
func redirectToMap(w http.ResponseWriter, r *http.Request, show, result, seat string, extra url.Values) {
	q := url.Values{"result": {result}}
	if seat != "" {
		q.Set("seat", seat)
	}
	for k, v := range extra {
		q[k] = v
	}
	http.Redirect(w, r, "/shows/"+url.PathEscape(show)+"?"+q.Encode(), http.StatusSeeOther)
}

func formResult(err error) string {
	switch {
	case errors.Is(err, boxoffice.ErrSeatLimit):
		return resultSeatLimit
	case errors.Is(err, boxoffice.ErrTaken):
		return resultTaken
	case errors.Is(err, boxoffice.ErrNotYours):
		return resultNotYours
	case errors.Is(err, boxoffice.ErrClosed):
		return resultClosed
	case errors.Is(err, boxoffice.ErrAdmitted):
		return resultAdmitted
	case errors.Is(err, boxoffice.ErrNotFound):
		return resultUnknown
	case errors.Is(err, boxoffice.ErrUnavailable):
		return resultUnavailable
	}
	return resultError
}

// seatLimitOf tells whether err refused a booking for the guest's seat cap,
// and the cap.
func seatLimitOf(err error) (limit int, ok bool) {
	var e *boxoffice.Error
	if !errors.As(err, &e) || e.Code != boxoffice.ESEATLIMIT {
		return 0, false
	}
	return e.Limit, true
}

// formNotice is the sentence the map shows for the form outcome in query,
// and its kind, "ok" or "error"; none when there is nothing true to say. The
// query is a link anyone can send, and seats change hands: a sentence about
// a seat is shown only while it holds for the viewer, judged against the
// map being shown (holders), and the seat must be one of the hall's, so the
// page never echoes arbitrary text. mine counts the viewer's seats.
func formNotice(query url.Values, l *boxoffice.Layout, holders map[boxoffice.SeatID]boxoffice.Guest,
	viewer boxoffice.Guest, mine int) (msg, kind string) {
	seat := boxoffice.SeatID(query.Get("seat"))
	known := seat != "" && l.Has(seat) && viewer != ""
	holder := holders[seat]
	byOther := holder != "" && holder != viewer
	switch query.Get("result") {
	case resultBooked:
		if known && holder == viewer {
			return fmt.Sprintf("Seat %s is yours.", seat), "ok"
		}
	case resultReleased:
		if known && holder != viewer {
			return fmt.Sprintf("Seat %s released.", seat), "ok"
		}
	case resultTaken:
		if known && byOther {
			return fmt.Sprintf("Seat %s is taken.", seat), "error"
		}
	case resultNotYours:
		if known && byOther {
			return fmt.Sprintf("Seat %s is held by another guest.", seat), "error"
		}
	case resultSeatLimit:
		// A form books one seat, so the cap refused it only if the viewer
		// holds at least that many; that also bounds the number shown.
		if n, err := strconv.Atoi(query.Get("limit")); err == nil && n > 0 && mine >= n {
			return fmt.Sprintf("You can hold at most %d %s for this show.", n, plural(n, "seat", "seats")), "error"
		}
	case resultTooManyRequests:
		if n, err := strconv.Atoi(query.Get("retry")); err == nil && n > 0 && n <= maxRetrySeconds {
			return fmt.Sprintf("Too many changes from your network just now. Try again in %d %s.",
				n, plural(n, "second", "seconds")), "error"
		}
	case resultClosed:
		return "Sales for this show have closed.", "error"
	case resultAdmitted:
		// Only a guest holding seats can have been admitted.
		if mine > 0 {
			return "Your ticket was checked in at the door: your seats can no longer be changed.", "error"
		}
	case resultUnknown:
		return "That seat does not exist.", "error"
	case resultUnavailable:
		return "The box office is briefly unavailable. Please try again in a moment.", "error"
	case resultError:
		return "Something went wrong. Please try again.", "error"
	}
	return "", ""
}

// maxRetrySeconds bounds the wait a too-many-requests link may announce: a
// day, beyond any bucket's refill, so a crafted link cannot tell of years.
const maxRetrySeconds = 24 * 60 * 60

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
