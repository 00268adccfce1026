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
	mux.Handle("GET /api/shows/{show}/ticket", s.guest(s.handleMyTicket()))
	mux.Handle("GET /api/tickets/{code}", s.handleGetTicket())
	mux.Handle("GET /api/openapi.json", s.handleOpenAPI())

	// The admin API: the operator's, behind its token (admin_auth.go);
	// no guest cookie, no guest limits.
	admin, err := s.newAdminAuth()
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /api/admin/programme", admin.guard(s.handleGetProgramme()))
	mux.Handle("PUT /api/admin/programme", admin.guard(s.handlePutProgramme()))
	mux.Handle("PUT /api/admin/halls/{hall}", admin.guard(s.handlePutHall()))
	mux.Handle("DELETE /api/admin/halls/{hall}", admin.guard(s.handleDeleteHall()))
	mux.Handle("PUT /api/admin/shows/{show}", admin.guard(s.handlePutShow()))
	mux.Handle("DELETE /api/admin/shows/{show}", admin.guard(s.handleCancelShow()))
	mux.Handle("GET /api/admin/shows/{show}/bookings", admin.guard(s.handleDoorList()))
	mux.Handle("POST /api/admin/shows/{show}/release", admin.guard(s.handleReleaseSeats()))
	mux.Handle("DELETE /api/admin/shows/{show}/guests/{guest}", admin.guard(s.handleReleaseGuest()))
	mux.Handle("POST /api/admin/tickets/{code}/admit", admin.doorGuard(s.handleAdmit()))

	// The admin pages: the operator's, behind a session the sign-in form
	// opens (adminpages_session.go); forms are guarded by SameSite=Strict
	// and the cross-origin check, which the session cookie does not pass.
	if err := s.pages.addAdmin(s.assets); err != nil {
		return nil, err
	}
	mux.Handle("GET /admin", admin.handleAdminHome())
	mux.Handle("POST /admin/sign-in", admin.handleSignIn())
	mux.Handle("POST /admin/sign-out", admin.handleSignOut())
	mux.Handle("GET /admin/halls", admin.pages(s.handleAdminHalls()))
	mux.Handle("GET /admin/shows/new", admin.pages(s.handleAdminNewShow()))
	mux.Handle("POST /admin/shows", admin.pages(s.handleAdminSaveShow()))
	mux.Handle("GET /admin/shows/{show}", admin.pages(s.handleAdminShow()))
	mux.Handle("POST /admin/shows/{show}", admin.pages(s.handleAdminSaveShow()))
	mux.Handle("POST /admin/shows/{show}/release", admin.pages(s.handleAdminRelease()))
	mux.Handle("POST /admin/shows/{show}/guests/{guest}/release", admin.pages(s.handleAdminReleaseGuest()))
	mux.Handle("POST /admin/shows/{show}/cancel", admin.pages(s.handleAdminCancel()))

	// Tickets: a guest's proof of its seats, and the door that checks them.
	// The ticket page is public (the code is the secret); a door or admin
	// session sees its admission state and an Admit button there.
	mux.Handle("GET /tickets/{code}", s.handleTicketPage(admin))
	mux.Handle("POST /tickets/{code}/admit", admin.doorPages(s.handleTicketAdmitForm()))
	mux.Handle("GET /admin/door", admin.doorPages(s.handleDoorPage()))
	mux.Handle("POST /admin/door", admin.doorPages(s.handleDoorForm()))

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
	h = crossOrigin(cop, mux, h) // the admin API's bearer requests pass
	h = gzip(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	h = s.clients(h)
	return h, nil
}
