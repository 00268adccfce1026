package web

import (
	"net/http"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

	"boxoffice"
)

// maxIDLength is far beyond any real show or seat id; longer ids are
// malformed rather than merely unknown.
const maxIDLength = 128

// pathID returns the path value name, refusing ids that no show or seat can
// have: empty, too long, not UTF-8, or with control characters.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if id == "" || len(id) > maxIDLength || !utf8.ValidString(id) {
		return "", boxoffice.Errorf(codeMalformed, "The %s id is malformed", name)
	}
	for _, c := range id {
		if unicode.IsControl(c) {
			return "", boxoffice.Errorf(codeMalformed, "The %s id contains control characters", name)
		}
	}
	return id, nil
}

// showSeat reads the show and seat ids from the path and checks that the
// seat exists.
func (s *server) showSeat(r *http.Request) (boxoffice.Show, boxoffice.Seat, error) {
	show, err := s.pathShow(r)
	if err != nil {
		return boxoffice.Show{}, boxoffice.Seat{}, err
	}
	seat, err := pathSeat(r, show)
	return show, seat, err
}

// pathSeat reads the seat id from the path and finds the seat in show's hall.
func pathSeat(r *http.Request, show boxoffice.Show) (boxoffice.Seat, error) {
	id, err := pathID(r, "seat")
	if err != nil {
		return boxoffice.Seat{}, err
	}
	seat, ok := show.Hall.Layout.Seat(boxoffice.SeatID(id))
	if !ok {
		return boxoffice.Seat{}, boxoffice.UnknownSeatsError(show.ID, []boxoffice.SeatID{boxoffice.SeatID(id)})
	}
	return seat, nil
}

// pathShow reads the show id from the path and finds the show. The store
// keeps shows in memory once read, so a booking costs it one write and no
// separate read (it checks the show again inside its transaction).
func (s *server) pathShow(r *http.Request) (boxoffice.Show, error) {
	id, err := pathID(r, "show")
	if err != nil {
		return boxoffice.Show{}, err
	}
	show, err := s.Store.Show(r.Context(), boxoffice.ShowID(id))
	if err != nil {
		return boxoffice.Show{}, err
	}
	return show, cancelled(show)
}

// cancelled is the error of every route of a cancelled show (410), nil for
// any other show. The store still has the show, so it is the web that says
// it is gone.
func cancelled(show boxoffice.Show) error {
	if show.SalesState() == boxoffice.SalesCancelled {
		return boxoffice.CancelledError(show)
	}
	return nil
}

// currentMap reads the path's show id and returns the show's rendered map
// at its latest version, as fresh as need says.
func (s *server) currentMap(r *http.Request, need freshness) (*renderedMap, error) {
	id, err := pathID(r, "show")
	if err != nil {
		return nil, err
	}
	m, err := s.maps.current(r.Context(), boxoffice.ShowID(id), need)
	if err != nil {
		return nil, err
	}
	if err := cancelled(m.show); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *server) handleListShows() http.Handler {
	type response struct {
		Shows []showSummaryJSON `json:"shows"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shows, err := s.Store.Shows(r.Context())
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		resp := response{Shows: make([]showSummaryJSON, len(shows))}
		for i, sh := range shows {
			resp.Shows[i] = s.summaryJSON(sh)
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// bodies are the buffers handleGetShow puts an answer together in.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

func (s *server) handleGetShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.currentMap(r, heard)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		head, seats := m.head(s), m.seatsFor(guestOf(r))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", strconv.Itoa(len(head)+len(seats)+2))
		// Copied into one Write: written in pieces, the last two bytes
		// went out in a write and a TCP segment of their own.
		buf := bodies.Get().(*[]byte)
		body := append(append(append((*buf)[:0], head...), seats...), "}\n"...)
		_, _ = w.Write(body)
		*buf = body
		bodies.Put(buf)
	})
}

// handleGetSeat answers one seat as the store holds it now, whichever
// instance changed it last: a client asking for one seat asks for the
// truth, not for a map that another instance's news may not have reached.
// It costs one small read of the change log, not a map.
func (s *server) handleGetSeat() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.currentMap(r, committed)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		seat, err := pathSeat(r, m.show)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		sj := seatView(seat, boxoffice.StatusFor(m.holders[seat.ID], guestOf(r)))
		writeJSON(w, http.StatusOK, writeResult{Version: m.version, Seat: &sj})
	})
}

func (s *server) handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReady answers 200 while the database answers, 503 when it does not
// or the server is about to shut down, so a load balancer sends guests
// elsewhere.
func (s *server) handleReady() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			// Not through writeProblem: probes every few seconds while
			// draining are expected, not a warning each.
			writeJSONAs(w, http.StatusServiceUnavailable, "application/problem+json",
				problemFor(r, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "This instance is shutting down")))
			return
		}
		if err := s.Store.Ping(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "database not ready", "err", err)
			s.writeProblem(w, r, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The database does not answer"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
