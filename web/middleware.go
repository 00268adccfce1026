package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"boxoffice"
)

var crossOriginError = boxoffice.Error{Code: codeCrossOrigin,
	Detail: "This request came from another site, so it was refused. Use the box office's own pages."}

// contentSecurityPolicy allows nothing but our own files: no inline script or
// style, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hsts keeps a browser on HTTPS for a year once it has seen the site over
// TLS. Without includeSubDomains: the operator's other hosts are none of
// boxoffice's business.
const hsts = "max-age=31536000"

func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		// Browsers ignore the header over plain HTTP, where anyone on the
		// path could have added it; sending it only over TLS says so.
		if s.overTLS(r) {
			h.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const (
	requestIDKey ctxKey = iota // string, from logRequests
	guestKey                   // guestToken, from guest
	routeKey                   // *matchedRoute, from logRequests, filled in by muxErrors
	roleKey                    // role, from adminAuth.pagesFor: the staff session's
)

// requestID returns the id logRequests gave the request.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// matchedRoute carries the URL pattern that matched (Request.Pattern) back
// out to logRequests, for the observer. The mux records the pattern in the
// Request it serves, a copy made further in (guest adds to the context),
// which logRequests never sees; so logRequests puts this holder into the
// context and muxErrors fills it in. It is the only value in a request's
// context that changes after it is put there.
type matchedRoute struct {
	pattern string
}

// newRequestID returns 16 hex digits of fresh randomness. Ids that counted
// up would tell anyone who made two requests how many others the server
// answered in between.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand panics rather than return short
	return hex.EncodeToString(b[:])
}

// AccessLog is which requests get an access line (Config.AccessLog): the
// operator's --access-log, all, errors or off.
type AccessLog int

const (
	// AccessLogAll logs every request: the zero value, so that a handler
	// built in code logs as it always has.
	AccessLogAll AccessLog = iota
	// AccessLogErrors logs the requests answered 400 or more: a busy site
	// keeps the lines that say something went wrong, or that someone
	// probes it, and none of the bookings that went right.
	AccessLogErrors
	// AccessLogOff logs no access line. The lines failures log of their
	// own (writeProblem's, a limit's warning) stay: an operator who turns
	// the access log off has not asked to be told less about errors.
	AccessLogOff
)

var accessLogNames = [...]string{AccessLogAll: "all", AccessLogErrors: "errors", AccessLogOff: "off"}

func (a AccessLog) String() string {
	if a < 0 || int(a) >= len(accessLogNames) {
		return fmt.Sprintf("AccessLog(%d)", int(a))
	}
	return accessLogNames[a]
}

// UnmarshalText reads all, errors or off, as the flag takes them.
func (a *AccessLog) UnmarshalText(text []byte) error {
	for mode, name := range accessLogNames {
		if string(text) == name {
			*a = AccessLog(mode)
			return nil
		}
	}
	return fmt.Errorf("access log %q: want all, errors or off", text)
}

// logs reports whether a request answered with status gets a line.
func (a AccessLog) logs(status int) bool {
	switch a {
	case AccessLogErrors:
		return status >= 400
	case AccessLogOff:
		return false
	}
	return true
}

// logRequests tags each request with an id (in the context, the logs and
// the X-Request-Id header), and when it ends tells the observer and, if
// the access log wants it, logs one line.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, route := newRequestID(), &matchedRoute{}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), routeKey, route)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		s.Observer.Request(route.pattern, rec.status, took)
		if !s.AccessLog.logs(rec.status) {
			return
		}
		level := slog.LevelInfo
		// A 503 is an outage (writeProblem warns) or a refusal by a limit,
		// whose line must stay INFO, or an attack would flood the log.
		if rec.status >= 500 && rec.status != http.StatusServiceUnavailable {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(ctx, level, "request", slog.String("id", id),
			slog.String("client", clientOf(r).Addr.String()), slog.String("method", r.Method),
			slog.String("path", redactedPath(r.URL.Path)), slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", took))
	})
}

// recoverPanics turns a panicking handler into a 500 problem and a log line
// instead of a dropped connection.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeProblem(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *statusRecorder) WriteHeader(code int) {
	rec.status = code
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and the deadlines.
func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// ticketPrefixes are the paths whose next segment is a ticket's code.
var ticketPrefixes = []string{"/tickets/", "/api/tickets/", "/api/admin/tickets/"}

// redactedPath is a request's path as logs and problems may show it: a
// ticket's code is the ticket (whoever reads it may open the ticket, and
// the door admits it), so it is cut to its first group, /tickets/7KQ2-…,
// /api/admin/tickets/7KQ2-…/admit. Cut the same way whether the code is
// well formed or not, so that an answer echoing the path tells a guesser
// nothing about which of its guesses were.
func redactedPath(path string) string {
	for _, p := range ticketPrefixes {
		rest, ok := strings.CutPrefix(path, p)
		if !ok {
			continue
		}
		code, tail, more := strings.Cut(rest, "/")
		switch {
		case !more:
			tail = ""
		case tail == "admit":
			tail = "/admit"
		default:
			tail = "/…" // not a route; whatever follows may be more of a code
		}
		return p + shortCode(code) + tail
	}
	return path
}

// shortCode is a code as typed cut to its first group, each character read
// as boxoffice.ParseTicketCode reads it, then "-…". What is no symbol of a
// code shows as "?": the log is no place for a guesser's text.
func shortCode(typed string) string {
	var b strings.Builder
	for i := 0; i < len(typed) && b.Len() < 4; i++ {
		c, ok := boxoffice.TicketSymbol(typed[i])
		switch {
		case !ok:
			c = '?'
		case c == 0: // a separator
			continue
		}
		b.WriteByte(c)
	}
	return b.String() + "-…"
}
