package web

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"boxoffice"
	"boxoffice/stream"
)

// Error codes that only the HTTP layer produces; the domain's are in boxoffice.
const (
	codeMalformed   = "malformed"          // unparseable input: bad JSON, a malformed id
	codeTooLarge    = "too_large"          // request body over the limit
	codeTimeout     = "request_timeout"    // the body did not arrive within the server's read timeout
	codeMediaType   = "unsupported_media"  // wrong Content-Type
	codeMethod      = "method_not_allowed" // the mux's own 405
	codeCrossOrigin = "cross_origin"       // an unsafe request from another site
	codeNoToken     = "unauthorized"       // /metrics or the admin API without the operator's token
	codeForbidden   = "forbidden"          // the door staff's token at the operator's admin routes
)

// codeTooManyRequests: the client's address is over the write rate.
const codeTooManyRequests = "too_many_requests"

// problemType describes one kind of problem: its HTTP status and the
// RFC 9457 type and title that name it.
type problemType struct {
	status int
	slug   string // type URI is /problems/<slug>, a page that explains it
	title  string
	about  string // the explanation on that page
}

// problems maps every error code to its HTTP status. It is the one place
// where domain errors meet HTTP.
var problems = map[string]problemType{
	boxoffice.ENOTFOUND:    {http.StatusNotFound, "not-found", "Not found", "There is no such show or seat. Show and seat ids are case-sensitive."},
	boxoffice.ETAKEN:       {http.StatusConflict, "seat-taken", "Seat taken", "Another guest holds the seat. The seats member names each one that stood in the way; nothing was booked."},
	boxoffice.ENOTYOURS:    {http.StatusForbidden, "not-your-seat", "Seat held by another guest", "Only the guest holding a seat can release it. Nothing was released."},
	boxoffice.ESEATLIMIT:   {http.StatusConflict, "seat-limit", "Seat limit reached", "One guest may hold only so many seats of a show. The limit member is the cap, held the seats you hold now, and seats the ones asked for that you do not hold yet; nothing was booked. Seats you already hold can be booked again, and releasing one makes room."},
	boxoffice.ECANCELLED:   {http.StatusGone, "show-cancelled", "Show cancelled", "The cinema has cancelled this show: its seats can no longer be seen, booked or released. Other shows are on the programme."},
	boxoffice.ECONFLICT:    {http.StatusConflict, "programme-conflict", "Programme conflict", "The programme change cannot be made as asked: bookings or the show's state stand in the way, named in the detail. Nothing was changed."},
	boxoffice.EPROGRAMME:   {http.StatusUnprocessableEntity, "invalid-programme", "Invalid programme", "The programme document or body is not valid: the detail names the hall or show, the field and, for a layout, the line. Nothing was changed."},
	boxoffice.ECLOSED:      {http.StatusConflict, "sales-closed", "Sales closed", "The cinema has closed sales for this show, or the show has started: its seats can no longer be booked or released."},
	boxoffice.EINVALID:     {http.StatusUnprocessableEntity, "invalid-request", "Invalid request", "The request was understood but cannot be done as asked: for example no seats, or too many at once."},
	boxoffice.EUNAVAILABLE: {http.StatusServiceUnavailable, "unavailable", "Service unavailable", "The box office cannot reach its database just now. Try again in a moment."},
	codeMalformed:          {http.StatusBadRequest, "malformed-request", "Malformed request", "The request could not be read: malformed JSON, or an id with control characters or of absurd length."},
	codeTooLarge:           {http.StatusRequestEntityTooLarge, "too-large", "Request too large", "The request body is over the limit."},
	codeTimeout:            {http.StatusRequestTimeout, "request-timeout", "Request timeout", "The request's body did not arrive in time. Send it again."},
	codeMediaType:          {http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "Send the body as application/json."},
	codeMethod:             {http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "The resource does not support this method; the Allow header lists those it does."},
	codeForbidden:          {http.StatusForbidden, "forbidden", "Forbidden", "The door token opens only the door: the check-in page /admin/door, the ticket page's Admit button and POST /api/admin/tickets/{code}/admit. The rest of the admin surface needs the admin token."},
	boxoffice.EADMITTED:    {http.StatusConflict, "admitted", "Ticket admitted", "The guest's ticket for this show was admitted at the door: its seats can no longer be booked or released."},
	boxoffice.EWRONGDAY:    {http.StatusConflict, "wrong-day", "Not today", "The ticket is for a show outside the door's window, from 12 hours before its start to 6 hours after: the detail names the show and its time. Nothing was changed."},
	codeCrossOrigin:        {http.StatusForbidden, "cross-origin", "Cross-origin request refused", "Requests that change seats must come from the box office's own pages or from clients that are not browsers."},
	codeNoToken:            {http.StatusUnauthorized, "unauthorized", "Unauthorized", "The metrics and the admin API are the operator's: send the token the server was started with for them (--metrics-token for /metrics, --admin-token for /api/admin/…) as Authorization: Bearer <token>. After five wrong tokens in a minute from one network, the admin API refuses further attempts for a while (429)."},
	codeTooManyRequests: {http.StatusTooManyRequests, "too-many-requests", "Too many requests",
		"Too many seat changes came from your network in a short time, so this one was refused and nothing changed. " +
			"Wait the number of seconds the Retry-After header names, then try again. " +
			"All guests behind one network address (a campus, a mobile carrier, the cinema's Wi-Fi) share this allowance."},
	stream.CodeTooManyStreams: {http.StatusTooManyRequests, "too-many-streams", "Too many live seat maps",
		"Your network has as many live seat maps open as the box office allows one address. Close some tabs, or wait: the page keeps trying by itself."},
	stream.CodeServerBusy: {http.StatusServiceUnavailable, "server-busy", "Server busy",
		"The box office is serving as many live seat maps as it can just now. The page keeps trying by itself; booking still works."},
}

// retryAfterSeconds is the Retry-After, in seconds, of the refusals at a limit
// whose wait is fixed: when a client may expect the limit to let it through.
var retryAfterSeconds = map[string]int{
	// A client's own streams end only as its tabs close or go hidden, so
	// a quicker retry would mostly be refused again.
	stream.CodeTooManyStreams: 10,
	// Other guests' streams come and go all the time (tabs close, streams
	// reach their lifetime): a slot is soon free.
	stream.CodeServerBusy: 5,
}

var internalProblem = problemType{http.StatusInternalServerError, "internal", "Internal error", "Something went wrong on our side. The request id helps the operator find it in the logs."}

// unreadableError refuses a request whose body could not be read or parsed.
// The client is told public, a fixed sentence: the cause can name the
// server's socket address or its Go types. writeProblem logs the cause.
type unreadableError struct {
	public *boxoffice.Error
	cause  error
}

func (e *unreadableError) Error() string   { return e.public.Detail + ": " + e.cause.Error() }
func (e *unreadableError) Unwrap() []error { return []error{e.public, e.cause} }

// unreadable classifies err, met reading or parsing a request body: a body
// over the limit, one that did not arrive in time, or else malformed, told
// with the sentence given.
func unreadable(err error, malformed string) error {
	var tooBig *http.MaxBytesError
	var netErr net.Error
	public := boxoffice.Errorf(codeMalformed, "%s", malformed)
	switch {
	case errors.As(err, &tooBig):
		public = boxoffice.Errorf(codeTooLarge, "The body is over the limit of %d bytes.", tooBig.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		public = boxoffice.Errorf(codeTimeout, "The body did not arrive in time.")
	}
	return &unreadableError{public: public, cause: err}
}

// problem is an RFC 9457 problem details body.
type problem struct {
	Type      string   `json:"type"`
	Title     string   `json:"title"`
	Status    int      `json:"status"`
	Detail    string   `json:"detail"`
	Instance  string   `json:"instance,omitempty"`
	Seats     []string `json:"seats,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	// Limit and Held, for a seat-limit refusal only: the cap, and how many
	// seats of the show the guest holds (which may be 0, hence pointers).
	Limit *int `json:"limit,omitempty"`
	Held  *int `json:"held,omitempty"`

	retryAfter int // seconds; 0: no Retry-After of its own
}

// problemFor builds the problem for err. Errors without a code are internal:
// their text is logged, never shown.
func problemFor(r *http.Request, err error) problem {
	var e *boxoffice.Error
	pt, ok := internalProblem, false
	if errors.As(err, &e) {
		pt, ok = problems[e.Code]
	}
	if !ok {
		pt = internalProblem
	}
	p := problem{Type: "/problems/" + pt.slug, Title: pt.title, Status: pt.status,
		Detail: pt.about, Instance: redactedPath(r.URL.Path), RequestID: requestID(r.Context())}
	if ok && e.Detail != "" {
		p.Detail = e.Detail
	}
	if ok {
		p.retryAfter = retryAfterSeconds[e.Code]
		if e.Code == boxoffice.ESEATLIMIT {
			p.Limit, p.Held = &e.Limit, &e.Held
		}
		for _, s := range e.Seats {
			p.Seats = append(p.Seats, string(s))
		}
	}
	return p
}

// writeProblem answers with err: problem+json for the API, an HTML page
// otherwise. Handlers call it and return.
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(r, err)
	// Keyed on the type, not the status: a refusal by a limit (429, or the
	// streams' 503 server-busy) is logged by the access log and whoever
	// refuses, at most once a minute per address, or an attack would flood
	// the log.
	switch p.Type {
	case "/problems/" + problems[boxoffice.EUNAVAILABLE].slug:
		// Expected during a database outage, and worth retrying shortly.
		w.Header().Set("Retry-After", "2")
		s.log.WarnContext(r.Context(), "request failed", slog.String("path", redactedPath(r.URL.Path)), slog.Any("err", err))
	case "/problems/" + internalProblem.slug:
		s.log.ErrorContext(r.Context(), "request failed", slog.String("path", redactedPath(r.URL.Path)), slog.Any("err", err))
	default:
		// The client saw a fixed sentence; what the parser or the socket
		// said is for whoever debugs a client, not for every refusal.
		var unread *unreadableError
		if errors.As(err, &unread) {
			s.log.DebugContext(r.Context(), "request unreadable", slog.String("path", redactedPath(r.URL.Path)), slog.Any("err", unread.cause))
		}
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	if wantsHTML(r) {
		s.renderError(w, r, p)
		return
	}
	writeJSONAs(w, p.Status, "application/problem+json", p)
}

// wantsHTML tells whether an error should be shown as a page: outside the
// API, the probes and the metrics, unless the client asks for JSON and not
// HTML.
func wantsHTML(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics" {
		return false
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") || !strings.Contains(accept, "json")
}

// handleProblemType serves the page that a problem's type URI points to.
func (s *server) handleProblemType() http.Handler {
	bySlug := map[string]problemType{internalProblem.slug: internalProblem}
	for _, pt := range problems {
		bySlug[pt.slug] = pt
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pt, ok := bySlug[r.PathValue("type")]
		if !ok {
			s.writeProblem(w, r, boxoffice.Errorf(boxoffice.ENOTFOUND, "There is no problem type %q", r.PathValue("type")))
			return
		}
		s.render(w, r, http.StatusOK, "error.html", errorPage{
			page:   page{Head: pt.title},
			Detail: pt.about + " (HTTP status " + http.StatusText(pt.status) + ")",
		})
	})
}

// muxErrors turns the mux's own plain-text 404 and 405 answers into problems
// (keeping the Allow header of a 405), so that every error looks the same
// wherever it comes from, and tells logRequests which route matched. The
// mux matches each request once, and records the pattern that matched in the
// Request it is given before it calls the handler: Pattern is "" only when
// the mux answers by itself, so a handler's own 404 is never replaced.
func (s *server) muxErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route, _ := r.Context().Value(routeKey).(*matchedRoute); route != nil {
			// Deferred, so that a handler that panics still counts
			// against its route.
			defer func() { route.pattern = r.Pattern }()
		}
		mux.ServeHTTP(&muxErrorWriter{ResponseWriter: w, r: r, s: s}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	r       *http.Request
	s       *server
	handled bool
}

func (m *muxErrorWriter) WriteHeader(code int) {
	var err error
	switch {
	case m.r.Pattern != "":
		// A handler's answer, not the mux's.
	case code == http.StatusNotFound:
		err = boxoffice.Errorf(boxoffice.ENOTFOUND, "There is nothing at %s", redactedPath(m.r.URL.Path))
	case code == http.StatusMethodNotAllowed:
		err = boxoffice.Errorf(codeMethod, "%s is not allowed here; use %s", m.r.Method, m.Header().Get("Allow"))
	}
	if err == nil {
		m.ResponseWriter.WriteHeader(code)
		return
	}
	m.handled = true
	m.s.writeProblem(m.ResponseWriter, m.r, err)
}

func (m *muxErrorWriter) Write(b []byte) (int, error) {
	if m.handled {
		return len(b), nil // the mux's plain-text body, replaced by the problem
	}
	return m.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection beneath: the
// event streams flush through it, and take it over.
func (m *muxErrorWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }
