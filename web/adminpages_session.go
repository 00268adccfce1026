package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"boxoffice"
)

const (
	adminCookie = "boxoffice_admin" // __Host-boxoffice_admin under TLS: see cookieName
	// sessionLifetime is absolute: a session ends 12 hours after sign-in
	// however busy it was, so a forgotten signed-in browser does not stay
	// the operator's.
	sessionLifetime = 12 * time.Hour
	// maxSignInBytes bounds the sign-in form: a token and little else.
	maxSignInBytes = 4 << 10
)

// sessionHash is what the store keeps of a session's cookie value: a copy of
// the database opens no session.
func sessionHash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// tokenDigest is what a session keeps of the admin token it was opened with,
// so that starting the server with a new token ends every older session.
// Prefixed, so that it is not the bare SHA-256 of the token: that digest
// stays out of the database.
func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte("boxoffice admin session\x00" + token))
	return hex.EncodeToString(sum[:])
}

// doorTokenDigest is tokenDigest for a session opened with the door token:
// prefixed differently, so that the digest alone tells the session's role.
func doorTokenDigest(token string) string {
	sum := sha256.Sum256([]byte("boxoffice door session\x00" + token))
	return hex.EncodeToString(sum[:])
}

// adminSession is a live session and the role it was opened with.
type adminSession struct {
	boxoffice.AdminSession
	role role
}

// session returns the request's admin session, if its cookie names one that
// is live and was opened with a current token, the admin's or the door's.
func (a *adminAuth) session(r *http.Request) (adminSession, bool, error) {
	c, err := r.Cookie(cookieName(adminCookie, a.s.overTLS(r)))
	if err != nil || !validToken(c.Value) {
		return adminSession{}, false, nil
	}
	sess, err := a.s.Store.Session(r.Context(), sessionHash(c.Value))
	if errors.Is(err, boxoffice.ErrNotFound) {
		return adminSession{}, false, nil
	}
	if err != nil {
		return adminSession{}, false, err
	}
	if !a.s.Now().Before(sess.Expires) {
		return adminSession{}, false, nil
	}
	same := func(digest string) bool {
		return subtle.ConstantTimeCompare([]byte(sess.TokenDigest), []byte(digest)) == 1
	}
	switch {
	case a.s.AdminToken != "" && same(tokenDigest(a.s.AdminToken)):
		return adminSession{sess, roleAdmin}, true, nil
	case a.s.DoorToken != "" && same(doorTokenDigest(a.s.DoorToken)):
		return adminSession{sess, roleDoor}, true, nil
	}
	return adminSession{}, false, nil
}

// exists answers 404 for every admin page when no token is configured: the
// admin surface does not exist.
func (a *adminAuth) exists(w http.ResponseWriter, r *http.Request) bool {
	if a.s.AdminToken == "" {
		a.s.writeProblem(w, r, boxoffice.Errorf(boxoffice.ENOTFOUND, "There is nothing at %s", redactedPath(r.URL.Path)))
		return false
	}
	return true
}

// pages lets only a signed-in operator through to an admin page; a door
// session gets 403, anyone else is sent to the sign-in form.
func (a *adminAuth) pages(next http.Handler) http.Handler { return a.pagesFor(roleAdmin, next) }

// doorPages lets the operator and the door staff through to a door page.
func (a *adminAuth) doorPages(next http.Handler) http.Handler { return a.pagesFor(roleDoor, next) }

func (a *adminAuth) pagesFor(least role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.exists(w, r) {
			return
		}
		sess, ok, err := a.session(r)
		if err != nil {
			a.s.writeProblem(w, r, err)
			return
		}
		switch {
		case !ok:
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
		case sess.role < least:
			a.s.writeProblem(w, r, &doorOnlyError)
		default:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roleKey, sess.role)))
		}
	})
}

// staffRole is the role that guardFor or pagesFor let through: what a
// page's navigation may offer, and who an admin change's log line names.
func staffRole(r *http.Request) role {
	got, _ := r.Context().Value(roleKey).(role)
	return got
}

// sessionRole is the role of the request's admin session, roleNone without
// one (or without an admin surface): for a public page, such as a ticket's,
// that shows staff more.
func (a *adminAuth) sessionRole(r *http.Request) (role, error) {
	if a.s.AdminToken == "" {
		return roleNone, nil
	}
	sess, ok, err := a.session(r)
	if !ok || err != nil {
		return roleNone, err
	}
	return sess.role, nil
}

// handleAdminHome is GET /admin: the programme to a signed-in operator, the
// sign-in form to anyone else; a door session gets 403, which names the door.
func (a *adminAuth) handleAdminHome() http.Handler {
	programme := a.s.handleAdminProgramme()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.exists(w, r) {
			return
		}
		sess, ok, err := a.session(r)
		if err != nil {
			a.s.writeProblem(w, r, err)
			return
		}
		switch {
		case !ok:
			a.signInPage(w, r, http.StatusOK, "")
		case sess.role < roleAdmin:
			a.s.writeProblem(w, r, &doorOnlyError)
		default:
			programme.ServeHTTP(w, r)
		}
	})
}

func (a *adminAuth) signInPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	a.s.render(w, r, status, "admin-signin.html", adminPage{page: page{Head: "Sign in"}, Message: message, MessageKind: "error"})
}

// handleSignIn checks the token of the sign-in form and opens a session.
// Over plain HTTP the token would cross the network readable, so only a
// peer on this machine may sign in that way (the TCP peer: a forwarded
// address can be written by anyone). Failures draw on the same bucket as
// wrong bearer tokens.
func (a *adminAuth) handleSignIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.s
		if !a.exists(w, r) {
			return
		}
		tls := s.overTLS(r)
		if !tls && !peerAddr(r.RemoteAddr).IsLoopback() {
			a.signInPage(w, r, http.StatusForbidden,
				"Signing in needs HTTPS: the token would otherwise cross the network readable. Over plain HTTP, sign in from the server's own machine.")
			return
		}
		c, now := clientOf(r), s.Now()
		if ok, wait := a.failures.Check(c.Key, now); !ok {
			a.signInTooMany(w, r, wait)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxSignInBytes)
		if err := r.ParseForm(); err != nil {
			s.writeProblem(w, r, unreadable(err, "The form could not be read."))
			return
		}
		got := a.tokenRole(r.PostForm.Get("token"))
		if got == roleNone {
			if ok, wait := a.failures.Take(c.Key, now); !ok {
				a.signInTooMany(w, r, wait)
				return
			}
			a.logFailure(r)
			a.signInPage(w, r, http.StatusUnauthorized, "That is not the admin token.")
			return
		}
		value := newToken()
		digest, home := tokenDigest(s.AdminToken), "/admin"
		if got == roleDoor {
			digest, home = doorTokenDigest(s.DoorToken), "/admin/door"
		}
		if err := s.Store.CreateSession(r.Context(), boxoffice.AdminSession{
			Hash: sessionHash(value), TokenDigest: digest, Expires: now.Add(sessionLifetime),
		}); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: cookieName(adminCookie, tls), Value: value, Path: "/",
			MaxAge: int(sessionLifetime / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: tls,
		})
		s.logAdminChange(r.WithContext(context.WithValue(r.Context(), roleKey, got)), "sign in", "session")
		http.Redirect(w, r, home, http.StatusSeeOther)
	})
}

func (a *adminAuth) signInTooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	a.s.refusedFor(w, r, "admin_auth", wait)
	a.signInPage(w, r, http.StatusTooManyRequests,
		"Too many failed attempts at the admin token from your network. Wait a minute and try again.")
}

// handleSignOut ends the session everywhere (it is deleted from the
// database, which every instance reads) and clears the cookie.
func (a *adminAuth) handleSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.exists(w, r) {
			return
		}
		tls := a.s.overTLS(r)
		if c, err := r.Cookie(cookieName(adminCookie, tls)); err == nil && validToken(c.Value) {
			if err := a.s.Store.DeleteSession(r.Context(), sessionHash(c.Value)); err != nil {
				a.s.writeProblem(w, r, err)
				return
			}
			a.s.logAdminChange(r, "sign out", "session")
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName(adminCookie, tls), Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: tls})
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	})
}
