package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"boxoffice"
)

// book is Store.Book with the server's seat cap. The cap is not wired yet:
// 0 books without one (issue 12's store part changed Book's signature).
func (s *server) book(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	return s.Store.Book(ctx, show, seats, guest, 0)
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

// Outcomes of a form post, carried to the map page in its query string.
const (
	resultBooked      = "booked"
	resultReleased    = "released"
	resultTaken       = "taken"
	resultNotYours    = "not-yours"
	resultClosed      = "closed"
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
			s.writeProblem(w, r, boxoffice.Errorf(codeMalformed, "The form could not be read"))
			return
		}
		op, seat := s.book, r.PostForm.Get("seat")
		okResult := resultBooked
		if rel := r.PostForm.Get("release"); rel != "" {
			op, seat, okResult = s.Store.Release, rel, resultReleased
		}
		result := okResult
		if !show.Hall.Layout.Has(boxoffice.SeatID(seat)) {
			result, seat = resultUnknown, ""
		} else if _, err := op(r.Context(), show.ID, []boxoffice.SeatID{boxoffice.SeatID(seat)}, guestOf(r)); err != nil {
			result = formResult(err)
			if result == resultError {
				s.log.ErrorContext(r.Context(), "seat form failed", "show", show.ID, "seat", seat, "err", err)
			}
		}
		q := url.Values{"result": {result}}
		if seat != "" {
			q.Set("seat", seat)
		}
		http.Redirect(w, r, "/shows/"+url.PathEscape(string(show.ID))+"?"+q.Encode(), http.StatusSeeOther)
	})
}

func formResult(err error) string {
	switch {
	case errors.Is(err, boxoffice.ErrTaken):
		return resultTaken
	case errors.Is(err, boxoffice.ErrNotYours):
		return resultNotYours
	case errors.Is(err, boxoffice.ErrClosed):
		return resultClosed
	case errors.Is(err, boxoffice.ErrNotFound):
		return resultUnknown
	case errors.Is(err, boxoffice.ErrUnavailable):
		return resultUnavailable
	}
	return resultError
}

// formMessage is the sentence the map shows for a form outcome, and its
// kind: "ok" or "error". Outcomes about a seat need the seat's id.
func formMessage(result string, seat boxoffice.SeatID) (msg, kind string) {
	about := map[string]string{
		resultBooked:   "Seat %s is yours.",
		resultReleased: "Seat %s released.",
		resultTaken:    "Seat %s is taken.",
		resultNotYours: "Seat %s is held by another guest.",
	}
	general := map[string]string{
		resultClosed:      "Sales for this show have closed.",
		resultUnknown:     "That seat does not exist.",
		resultUnavailable: "The box office is briefly unavailable. Please try again in a moment.",
		resultError:       "Something went wrong. Please try again.",
	}
	kind = "error"
	if result == resultBooked || result == resultReleased {
		kind = "ok"
	}
	if f, ok := about[result]; ok && seat != "" {
		return fmt.Sprintf(f, seat), kind
	}
	return general[result], kind
}
