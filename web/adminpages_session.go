package web

import (
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

// session returns the request's admin session, if its cookie names one that
// is live and was opened with the current token.
func (a *adminAuth) session(r *http.Request) (boxoffice.AdminSession, bool, error) {
	c, err := r.Cookie(cookieName(adminCookie, a.s.overTLS(r)))
	if err != nil || !validToken(c.Value) {
		return boxoffice.AdminSession{}, false, nil
	}
	sess, err := a.s.Store.Session(r.Context(), sessionHash(c.Value))
	if errors.Is(err, boxoffice.ErrNotFound) {
		return boxoffice.AdminSession{}, false, nil
	}
	if err != nil {
		return boxoffice.AdminSession{}, false, err
	}
	current := tokenDigest(a.s.AdminToken)
	if subtle.ConstantTimeCompare([]byte(sess.TokenDigest), []byte(current)) != 1 || !a.s.Now().Before(sess.Expires) {
		return boxoffice.AdminSession{}, false, nil
	}
	return sess, true, nil
}

// exists answers 404 for every admin page when no token is configured: the
// admin surface does not exist.
func (a *adminAuth) exists(w http.ResponseWriter, r *http.Request) bool {
	if a.s.AdminToken == "" {
		a.s.writeProblem(w, r, boxoffice.Errorf(boxoffice.ENOTFOUND, "There is nothing at %s", r.URL.Path))
		return false
	}
	return true
}

// pages lets only a signed-in operator through to an admin page; anyone
// else is sent to the sign-in form.
func (a *adminAuth) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.exists(w, r) {
			return
		}
		_, ok, err := a.session(r)
		if err != nil {
			a.s.writeProblem(w, r, err)
			return
		}
		if !ok {
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleAdminHome is GET /admin: the programme to a signed-in operator, the
// sign-in form to anyone else.
func (a *adminAuth) handleAdminHome() http.Handler {
	programme := a.s.handleAdminProgramme()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.exists(w, r) {
			return
		}
		_, ok, err := a.session(r)
		if err != nil {
			a.s.writeProblem(w, r, err)
			return
		}
		if ok {
			programme.ServeHTTP(w, r)
			return
		}
		a.signInPage(w, r, http.StatusOK, "")
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
		if !a.tokenMatches(r.PostForm.Get("token")) {
			if ok, wait := a.failures.Take(c.Key, now); !ok {
				a.signInTooMany(w, r, wait)
				return
			}
			a.logFailure(r)
			a.signInPage(w, r, http.StatusUnauthorized, "That is not the admin token.")
			return
		}
		value := newToken()
		if err := s.Store.CreateSession(r.Context(), boxoffice.AdminSession{
			Hash: sessionHash(value), TokenDigest: tokenDigest(s.AdminToken), Expires: now.Add(sessionLifetime),
		}); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: cookieName(adminCookie, tls), Value: value, Path: "/",
			MaxAge: int(sessionLifetime / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: tls,
		})
		s.logAdminChange(r, "sign in", "session")
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
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
