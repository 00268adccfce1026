package web

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"

	"boxoffice"
)

// routes puts the whole HTTP surface on one screen: every URL, and the
// middleware around them, innermost first (each line wraps the ones above).
// Routes wrapped in s.guest act for a guest and give a new visitor its
// cookie; no other answer sets one (see guest).
func (s *server) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	// Seat writes draw on the write rate of the client's address.
	writes, err := s.newWriteRate()
	if err != nil {
		return nil, err
	}

	// Pages.
	mux.Handle("GET /{$}", s.guest(s.handleIndex()))
	mux.Handle("GET /shows/{show}", s.guest(s.handleShowPage()))
	mux.Handle("POST /shows/{show}", writes.form(s.guest(s.handleSeatForm())))
	mux.Handle("GET /static/{file}", s.handleAsset())
	mux.Handle("GET /problems/{type}", s.handleProblemType())

	// The JSON API.
	mux.Handle("GET /api/shows", s.handleListShows())
	mux.Handle("GET /api/shows/{show}", s.guest(s.handleGetShow()))
	mux.Handle("GET /api/shows/{show}/seats/{seat}", s.guest(s.handleGetSeat()))
	mux.Handle("PUT /api/shows/{show}/seats/{seat}", writes.api(s.guest(s.handleSeatWrite(s.book, boxoffice.StatusMine))))
	mux.Handle("DELETE /api/shows/{show}/seats/{seat}", writes.api(s.guest(s.handleSeatWrite(s.Store.Release, boxoffice.StatusFree))))
	mux.Handle("POST /api/shows/{show}/bookings", writes.api(s.guest(s.handleBookSeats())))
	mux.Handle("GET /api/shows/{show}/events", s.guest(s.handleEvents()))
	mux.Handle("GET /api/openapi.json", s.handleOpenAPI())

	// Probes.
	mux.Handle("GET /healthz", s.handleHealth())
	mux.Handle("GET /readyz", s.handleReady())
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.handleMetrics())
	}

	gzip, err := gzhttp.NewWrapper(
		gzhttp.EnableZstd(false),
		// An event stream stays open for hours; a compressor per watcher
		// would cost far more memory than the few bytes it saves.
		gzhttp.ExceptContentTypes([]string{"text/event-stream"}),
	)
	if err != nil {
		return nil, err
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, &crossOriginError)
	}))

	var h http.Handler = s.muxErrors(mux)
	h = cop.Handler(h)
	h = gzip(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	h = s.clients(h)
	return h, nil
}
