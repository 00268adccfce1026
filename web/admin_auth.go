package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"boxoffice"
	"boxoffice/limit"
)

// MinAdminTokenLength is the shortest admin token NewHandler accepts: long
// enough that guessing it at five tries a minute is hopeless.
const MinAdminTokenLength = 32

// maxAdminBodyBytes bounds an admin request body: a cinema's programme of
// many weeks is far below it (guests' bodies keep maxBodyBytes).
const maxAdminBodyBytes = 1 << 20

// Failed admin authentications per address: a burst of 5, refilled at 5 a
// minute.
const (
	adminFailuresPerSecond = 5.0 / 60
	adminFailureBurst      = 5
)

var (
	adminTokenError = boxoffice.Error{Code: codeNoToken,
		Detail: "The admin API needs the operator's token: Authorization: Bearer <token>"}
	doorOnlyError = boxoffice.Error{Code: codeForbidden,
		Detail: "The door token opens only the door: /admin/door, tickets' Admit button and POST /api/admin/tickets/{code}/admit."}
	adminTooManyError = boxoffice.Error{Code: codeTooManyRequests,
		Detail: "Too many failed attempts at the admin token from your network. Wait the seconds Retry-After names."}
)

// adminAuth guards the admin API and pages. Its ways in are tried in turn:
// the bearer token, then the session cookie the admin pages' sign-in sets
// (admin_session.go). Either proves one of two roles: the operator's (the
// admin token) or the door staff's (the door token), which opens only the
// door: the check-in page, the ticket page's Admit button and the admit
// route.
type adminAuth struct {
	s *server
	// want and door are the SHA-256 of the tokens: ConstantTimeCompare
	// returns at once when lengths differ, which would tell a prober the
	// token's length; digests are all 32 bytes.
	want     [32]byte
	door     [32]byte
	failures *limit.Rate
}

// role is what a request has proved itself to be.
type role int

const (
	roleNone  role = iota
	roleDoor       // the door token: check tickets in, nothing else
	roleAdmin      // the admin token: everything, the door included
)

func (r role) String() string {
	switch r {
	case roleDoor:
		return "door"
	case roleAdmin:
		return "admin"
	}
	return "none"
}

func (s *server) newAdminAuth() (*adminAuth, error) {
	if s.AdminToken != "" && len(s.AdminToken) < MinAdminTokenLength {
		return nil, fmt.Errorf("web: the admin token must be at least %d characters", MinAdminTokenLength)
	}
	if s.DoorToken != "" && len(s.DoorToken) < MinAdminTokenLength {
		return nil, fmt.Errorf("web: the door token must be at least %d characters", MinAdminTokenLength)
	}
	if s.DoorToken != "" && s.DoorToken == s.AdminToken {
		return nil, errors.New("web: the door token must differ from the admin token")
	}
	return &adminAuth{s: s, want: sha256.Sum256([]byte(s.AdminToken)), door: sha256.Sum256([]byte(s.DoorToken)),
		failures: limit.NewRate(adminFailuresPerSecond, adminFailureBurst, 0)}, nil
}

// bearerToken returns the request's bearer token, if it carries one.
func bearerToken(r *http.Request) (string, bool) {
	return strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// role tells what r proves it is: by the bearer token, or by a session
// opened with a current token. Only a store that fails to answer is an
// error.
func (a *adminAuth) role(r *http.Request) (role, error) {
	if got, ok := bearerToken(r); ok {
		return a.tokenRole(got), nil
	}
	sess, ok, err := a.session(r)
	if !ok || err != nil {
		return roleNone, err
	}
	return sess.role, nil
}

// tokenRole tells whose token got is, in constant time; roleNone when it is
// neither (or names a token the server was not given).
func (a *adminAuth) tokenRole(got string) role {
	sum := sha256.Sum256([]byte(got))
	admin := a.s.AdminToken != "" && subtle.ConstantTimeCompare(sum[:], a.want[:]) == 1
	door := a.s.DoorToken != "" && subtle.ConstantTimeCompare(sum[:], a.door[:]) == 1
	switch {
	case admin:
		return roleAdmin
	case door:
		return roleDoor
	}
	return roleNone
}

// guard lets only the operator through to next; the door staff get 403.
func (a *adminAuth) guard(next http.Handler) http.Handler { return a.guardFor(roleAdmin, next) }

// door lets the operator and the door staff through to next.
func (a *adminAuth) doorGuard(next http.Handler) http.Handler { return a.guardFor(roleDoor, next) }

// guardFor lets through to next a request proving at least the role
// least. Without an admin token configured the admin surface does not
// exist: 404, as for any path the server lacks. An address that failed too
// often is refused before its token is even looked at, so a guesser learns
// nothing more until the bucket refills.
func (a *adminAuth) guardFor(least role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.s
		if s.AdminToken == "" {
			s.writeProblem(w, r, boxoffice.Errorf(boxoffice.ENOTFOUND, "There is nothing at %s", redactedPath(r.URL.Path)))
			return
		}
		c := clientOf(r)
		now := s.Now()
		if ok, wait := a.failures.Check(c.Key, now); !ok {
			a.tooMany(w, r, wait)
			return
		}
		got, err := a.role(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if got >= least {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roleKey, got)))
			return
		}
		if got == roleDoor {
			s.writeProblem(w, r, &doorOnlyError)
			return
		}
		if ok, wait := a.failures.Take(c.Key, now); !ok {
			a.tooMany(w, r, wait) // lost a race with another failure of the address
			return
		}
		a.logFailure(r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice admin"`)
		s.writeProblem(w, r, &adminTokenError)
	})
}

func (a *adminAuth) logFailure(r *http.Request) {
	a.s.log.InfoContext(r.Context(), "admin authentication failed",
		slog.String("client", clientOf(r).Addr.String()), slog.String("path", redactedPath(r.URL.Path)))
}

func (a *adminAuth) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	a.s.refusedFor(w, r, "admin_auth", wait)
	a.s.writeProblem(w, r, &adminTooManyError)
}

// crossOrigin applies the cross-origin check to every request but those to
// an admin route carrying a bearer token. A browser never attaches an
// Authorization header to a request another site makes it send (that needs
// a CORS preflight, which the server never grants), so such a request comes
// from a client the operator gave the token, not from a page. The route is
// found by the mux itself, so no spelling of a guest path passes as admin.
// A session cookie, which a browser does attach, gets no such exemption.
func crossOrigin(cop *http.CrossOriginProtection, mux *http.ServeMux, next http.Handler) http.Handler {
	checked := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := bearerToken(r); ok {
			if _, pattern := mux.Handler(r); isAdminPattern(pattern) {
				next.ServeHTTP(w, r)
				return
			}
		}
		checked.ServeHTTP(w, r)
	})
}

// isAdminPattern tells whether a route pattern of routes.go is the admin API's.
func isAdminPattern(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	return strings.HasPrefix(path, "/api/admin/")
}

// adminBody reads an admin request's body: application/json (or no
// Content-Type), at most maxAdminBodyBytes, and valid JSON, or it is
// refused as the guests' bodies are (415, 413, 408, 400). What the JSON
// must hold is for the caller to check.
func adminBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := jsonMediaType(r); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBodyBytes))
	if err != nil {
		return nil, unreadable(err, "The body could not be read.")
	}
	if len(body) == 0 {
		return nil, unreadable(io.EOF, jsonErrorSentence(io.EOF))
	}
	if !json.Valid(body) {
		return nil, unreadable(errors.New("malformed JSON"), "The body is not valid JSON.")
	}
	return body, nil
}

// logAdminChange writes the one INFO line each admin change gets.
// by is the role that made it (admin or door), where known, so that the
// log tells an usher's admissions from the operator's.
func (s *server) logAdminChange(r *http.Request, action, target string, attrs ...slog.Attr) {
	head := []slog.Attr{slog.String("action", action), slog.String("target", target)}
	if by := staffRole(r); by != roleNone {
		head = append(head, slog.String("by", by.String()))
	}
	attrs = append(append(head, slog.String("client", clientOf(r).Addr.String()), slog.String("request_id", requestID(r.Context()))), attrs...)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "admin change", attrs...)
}
