package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"boxoffice"
)

// doorGuestJSON is one guest of the door list: its ref, its seats in hall
// order, when it booked the first of them, and when its ticket was admitted
// (null until then). Never the ticket's code: the server keeps only its
// hash and cannot tell it.
type doorGuestJSON struct {
	Guest      string             `json:"guest"`
	Seats      []boxoffice.SeatID `json:"seats"`
	BookedAt   string             `json:"booked_at"`
	AdmittedAt *string            `json:"admitted_at"`
}

// doorCountsJSON is how far the door has got: guests and seats booked, and
// of them those admitted.
type doorCountsJSON struct {
	Guests         int `json:"guests"`
	Seats          int `json:"seats"`
	AdmittedGuests int `json:"admitted_guests"`
	AdmittedSeats  int `json:"admitted_seats"`
}

type doorListJSON struct {
	Show    boxoffice.ShowID `json:"show"`
	Version int64            `json:"version"`
	Guests  []doorGuestJSON  `json:"guests"`
	Counts  doorCountsJSON   `json:"counts"`
}

// doorListTries bounds the reads that look for a version matching the
// bookings: two reads that agree are the norm; under a storm of bookings
// the last read is answered, a door list being stale once printed anyway.
const doorListTries = 3

// doorList reads a show's bookings and the version they are the show's
// seats at. Store.Bookings has no version of its own, so a seat map read
// after it supplies one, kept only when its holders are the bookings'.
func (s *server) doorList(r *http.Request, show boxoffice.ShowID) (doorListJSON, error) {
	var bookings []boxoffice.Booking
	var version int64
	for range doorListTries {
		var err error
		if bookings, err = s.Store.Bookings(r.Context(), show); err != nil {
			return doorListJSON{}, err
		}
		m, err := s.Store.SeatMap(r.Context(), show)
		if err != nil {
			return doorListJSON{}, err
		}
		version = m.Version
		if maps.Equal(m.Holders, holdersOf(bookings)) {
			break
		}
	}
	list := doorListJSON{Show: show, Version: version, Guests: []doorGuestJSON{}}
	first := map[boxoffice.Guest]int{} // guest -> index in list.Guests
	earliest := map[boxoffice.Guest]time.Time{}
	for _, b := range bookings { // in hall order, so guests come in the order of their first seat
		i, ok := first[b.Guest]
		if !ok {
			i = len(list.Guests)
			first[b.Guest] = i
			list.Guests = append(list.Guests, doorGuestJSON{Guest: boxoffice.GuestRef(show, b.Guest)})
			earliest[b.Guest] = b.BookedAt
		}
		g := &list.Guests[i]
		g.Seats = append(g.Seats, b.Seat)
		if g.AdmittedAt == nil { // every row of the guest carries it
			g.AdmittedAt = s.timeOrNull(b.AdmittedAt)
		}
		if b.BookedAt.Before(earliest[b.Guest]) {
			earliest[b.Guest] = b.BookedAt
		}
	}
	for guest, i := range first {
		list.Guests[i].BookedAt = formatTime(earliest[guest], s.Location)
	}
	for _, g := range list.Guests {
		list.Counts.Guests++
		list.Counts.Seats += len(g.Seats)
		if g.AdmittedAt != nil {
			list.Counts.AdmittedGuests++
			list.Counts.AdmittedSeats += len(g.Seats)
		}
	}
	return list, nil
}

func holdersOf(bookings []boxoffice.Booking) map[boxoffice.SeatID]boxoffice.Guest {
	h := make(map[boxoffice.SeatID]boxoffice.Guest, len(bookings))
	for _, b := range bookings {
		h[b.Seat] = b.Guest
	}
	return h
}

// handleDoorList answers the door list as JSON, or as CSV to a client that
// asks for text/csv (a spreadsheet, a printer).
func (s *server) handleDoorList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		list, err := s.doorList(r, boxoffice.ShowID(id))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if !acceptsCSV(r.Header.Get("Accept")) {
			writeJSON(w, http.StatusOK, list)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		c := csv.NewWriter(w)
		_ = c.Write([]string{"guest", "seats", "booked_at", "admitted_at"})
		for _, g := range list.Guests {
			seats := make([]string, len(g.Seats))
			for i, seat := range g.Seats {
				seats[i] = string(seat)
			}
			admitted := "" // a spreadsheet's empty cell, for JSON's null
			if g.AdmittedAt != nil {
				admitted = *g.AdmittedAt
			}
			_ = c.Write([]string{g.Guest, strings.Join(seats, " "), g.BookedAt, admitted})
		}
		c.Flush()
	})
}

// acceptsCSV tells whether an Accept header asks for text/csv, and prefers
// it to JSON: a client naming both gets the one named first.
func acceptsCSV(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/csv":
			return true
		case "application/json":
			return false
		}
	}
	return false
}

// releasedJSON answers an operator's release: the version it committed at
// and the seats it freed (none when there was nothing to free).
type releasedJSON struct {
	Version  int64              `json:"version"`
	Released []boxoffice.SeatID `json:"released"`
}

func releasedOf(c boxoffice.Change) releasedJSON {
	res := releasedJSON{Version: c.Version, Released: []boxoffice.SeatID{}}
	for _, sc := range c.Seats {
		res.Released = append(res.Released, sc.Seat)
	}
	return res
}

// handleReleaseSeats frees the listed seats whoever holds them.
func (s *server) handleReleaseSeats() http.Handler {
	type request struct {
		Seats []boxoffice.SeatID `json:"seats"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		body, err := adminBody(w, r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		var req request
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			s.writeProblem(w, r, unreadable(err, jsonErrorSentence(err)))
			return
		}
		if len(req.Seats) == 0 {
			s.writeProblem(w, r, boxoffice.Errorf(boxoffice.EINVALID, "Name at least one seat to release"))
			return
		}
		res, err := s.releaseSeats(r, boxoffice.ShowID(id), req.Seats)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// handleReleaseGuest frees every seat the guest, named by its ref, holds in
// the show. A ref of the right shape that matches nobody holding seats is
// a guest holding nothing: 200 with nothing released. A ref of another
// shape names no guest at all: 404.
func (s *server) handleReleaseGuest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		res, err := s.releaseGuest(r, boxoffice.ShowID(id), r.PathValue("guest"))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// releaseSeats frees seats whoever holds them, for the API and the pages,
// and logs the change.
func (s *server) releaseSeats(r *http.Request, show boxoffice.ShowID, seats []boxoffice.SeatID) (releasedJSON, error) {
	c, err := s.Store.ReleaseSeats(r.Context(), show, seats)
	if err != nil {
		return releasedJSON{}, err
	}
	res := releasedOf(c)
	if len(res.Released) > 0 {
		s.logAdminChange(r, "release seats", "show:"+string(show), slog.Any("seats", res.Released))
	}
	return res, nil
}

// releaseGuest frees every seat the guest named by ref holds in the show,
// for the API and the pages, and logs the change. A ref of the right shape
// that matches nobody holding seats is a guest holding nothing: nothing
// released, at the show's version now. A ref of another shape names no
// guest at all: ErrNotFound.
func (s *server) releaseGuest(r *http.Request, show boxoffice.ShowID, ref string) (releasedJSON, error) {
	if !boxoffice.ValidGuestRef(ref) {
		return releasedJSON{}, boxoffice.Errorf(boxoffice.ENOTFOUND,
			"There is no guest %q: a guest is named by the 12 lowercase hex digits of the door list", ref)
	}
	bookings, err := s.Store.Bookings(r.Context(), show)
	if err != nil {
		return releasedJSON{}, err
	}
	var guest boxoffice.Guest
	for _, b := range bookings {
		if boxoffice.GuestRef(show, b.Guest) == ref {
			guest = b.Guest
			break
		}
	}
	var c boxoffice.Change
	if guest != "" {
		c, err = s.Store.ReleaseGuest(r.Context(), show, guest)
	} else {
		var m boxoffice.SeatMap
		m, err = s.Store.SeatMap(r.Context(), show)
		c.Version = m.Version
		if err == nil {
			err = cancelled(m.Show)
		}
	}
	if err != nil {
		return releasedJSON{}, err
	}
	res := releasedOf(c)
	if len(res.Released) > 0 {
		s.logAdminChange(r, "release guest", "show:"+string(show)+" guest:"+ref, slog.Any("seats", res.Released))
	}
	return res, nil
}
