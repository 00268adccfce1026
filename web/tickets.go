package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"boxoffice"
)

// noTicketError answers every code that opens no ticket, malformed or
// unknown alike: telling them apart would tell a guesser which of its
// guesses were well formed, and nothing a guest can use.
var noTicketError = boxoffice.Error{Code: boxoffice.ENOTFOUND, Detail: "There is no such ticket."}

// noSeatsError answers a guest asking for its ticket to a show it holds no
// seats in: a ticket exists only while it stands for seats.
var noSeatsError = boxoffice.Error{Code: boxoffice.ENOTFOUND,
	Detail: "You hold no seats in this show, so you have no ticket for it. Book a seat and it appears."}

// ticketShowJSON is the show a ticket is for.
type ticketShowJSON struct {
	ID       boxoffice.ShowID `json:"id"`
	Title    string           `json:"title"`
	StartsAt string           `json:"starts_at"`
	Hall     string           `json:"hall"`
	HallID   boxoffice.HallID `json:"hall_id"`
}

// ticketSeatJSON is a seat of a ticket: where it is and what kind, which
// the door needs (a wheelchair space, a companion seat), not its status.
type ticketSeatJSON struct {
	ID     boxoffice.SeatID   `json:"id"`
	Row    string             `json:"row"`
	Number int                `json:"number"`
	Kind   boxoffice.SeatKind `json:"kind"`
}

// ticketJSON is a ticket as GET /api/shows/{show}/ticket and GET
// /api/tickets/{code} answer it.
type ticketJSON struct {
	Code       string           `json:"code"`
	URL        string           `json:"url"`
	Show       ticketShowJSON   `json:"show"`
	Seats      []ticketSeatJSON `json:"seats"`
	AdmittedAt *string          `json:"admitted_at"` // null until admitted
}

// admitJSON answers an admission: the ticket as it now stands, and whether
// this request admitted it (first) or an earlier one had, at admitted_at.
type admitJSON struct {
	Code       string           `json:"code"`
	Show       ticketShowJSON   `json:"show"`
	Seats      []ticketSeatJSON `json:"seats"`
	AdmittedAt string           `json:"admitted_at"`
	First      bool             `json:"first"`
}

// ticketView is the JSON of ticket t, whose code is code, its seats in
// the hall order the store gives them (Ticket.Found).
func (s *server) ticketView(code boxoffice.TicketCode, t boxoffice.Ticket) ticketJSON {
	show := t.Show
	v := ticketJSON{
		Code: code.String(),
		URL:  ticketPath(code),
		Show: ticketShowJSON{ID: show.ID, Title: show.Title, StartsAt: formatTime(show.StartsAt, s.Location),
			Hall: show.Hall.Name, HallID: show.Hall.ID},
		Seats: []ticketSeatJSON{},
	}
	for _, id := range t.Seats {
		if seat, ok := show.Hall.Layout.Seat(id); ok {
			v.Seats = append(v.Seats, ticketSeatJSON{ID: seat.ID, Row: seat.Row, Number: seat.Number, Kind: seat.Kind})
		}
	}
	v.AdmittedAt = s.timeOrNull(t.AdmittedAt)
	return v
}

// timeOrNull is t as the API writes it, or nil (JSON null) for the zero
// time: a ticket not admitted yet.
func (s *server) timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := formatTime(t, s.Location)
	return &v
}

// pathTicketCode reads the path's code as a person may have typed it.
func pathTicketCode(r *http.Request) (boxoffice.TicketCode, error) {
	code, ok := boxoffice.ParseTicketCode(r.PathValue("code"))
	if !ok {
		return "", &noTicketError
	}
	return code, nil
}

// ticketByCode is the ticket whose code is code. A store's own not-found,
// whatever its detail, becomes noTicketError, so that an unknown code is
// answered exactly as a malformed one.
func (s *server) ticketByCode(ctx context.Context, code boxoffice.TicketCode) (boxoffice.Ticket, error) {
	t, err := s.Store.Ticket(ctx, code.Hash())
	if errors.Is(err, boxoffice.ErrNotFound) {
		return boxoffice.Ticket{}, &noTicketError
	}
	return t, err
}

// handleMyTicket answers the caller's ticket for the path's show: its code
// is derived from the guest's cookie, so only the guest can ask for it here.
func (s *server) handleMyTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		show, err := s.pathShow(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		code := ticketOf(r.Context(), show.ID)
		t, err := s.Store.Ticket(r.Context(), code.Hash())
		if errors.Is(err, boxoffice.ErrNotFound) {
			err = &noSeatsError
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.ticketView(code, t))
	})
}

// handleGetTicket answers a ticket to anyone who has its code: the code is
// the secret, as a paper ticket is.
func (s *server) handleGetTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := pathTicketCode(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		t, err := s.ticketByCode(r.Context(), code)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.ticketView(code, t))
	})
}

// handleAdmit admits a ticket at the door. Admitting it again answers 200
// with the first admission's time and first false, at any hour, so that an
// usher's double tap or a second scanner never reads as a refusal, while a
// ticket shown twice is plain to see. A body, if any, is ignored.
func (s *server) handleAdmit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := pathTicketCode(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		t, first, err := s.admitTicket(r, code)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		v := s.ticketView(code, t)
		writeJSON(w, http.StatusOK, admitJSON{Code: v.Code, Show: v.Show, Seats: v.Seats,
			AdmittedAt: formatTime(t.AdmittedAt, s.Location), First: first})
	})
}

// admitTicket admits code's ticket at the server's clock, for the API and
// the door's pages alike, and logs a first admission (the code cut to its
// first group). Refused for the wrong day, it returns the ticket as it
// stands too, for the door's answer, and an error naming the show's start
// in the cinema's time zone.
func (s *server) admitTicket(r *http.Request, code boxoffice.TicketCode) (boxoffice.Ticket, bool, error) {
	t, first, err := s.Store.Admit(r.Context(), code.Hash(), s.Now())
	switch {
	case errors.Is(err, boxoffice.ErrNotFound):
		return t, false, &noTicketError
	case errors.Is(err, boxoffice.ErrWrongDay):
		if t, err = s.ticketByCode(r.Context(), code); err != nil {
			return t, false, err
		}
		return t, false, boxoffice.WrongDayError(t.Show, s.humanTime(t.Show.StartsAt))
	case err != nil:
		return t, false, err
	}
	if first {
		s.logAdminChange(r, "admit", "ticket:"+shortCode(string(code)), slog.String("show", string(t.Show.ID)),
			slog.Any("seats", t.Seats))
	}
	return t, first, nil
}
