package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"boxoffice"
)

const (
	guestCookie = "boxoffice_guest"
	// tokenBytes of randomness: 256 bits, far beyond guessing.
	tokenBytes = 32
	// guestCookieMaxAge is 400 days, the longest that browsers keep a cookie.
	guestCookieMaxAge = 400 * 24 * 60 * 60
)

// guest makes sure the request has a guest. A request without a valid
// cookie gets a fresh token, set on its response, and acts as that new guest.
// Nothing is written to the database: the guest exists only as the hash of
// the token, stored with the seats it books.
//
// Only the routes that act for a guest are wrapped (routes.go lists them):
// a Set-Cookie on a cacheable answer, such as a static file, could be stored
// by a shared cache and hand one guest to everyone behind it.
func (s *server) guest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tls := s.overTLS(r)
		name := cookieName(guestCookie, tls)
		token := ""
		if c, err := r.Cookie(name); err == nil && validToken(c.Value) {
			token = c.Value
		} else {
			token = newToken()
			http.SetCookie(w, &http.Cookie{
				Name:     name,
				Value:    token,
				Path:     "/",
				MaxAge:   guestCookieMaxAge,
				HttpOnly: true,
				SameSite: http.SameSiteLaxMode,
				Secure:   tls,
			})
		}
		ctx := context.WithValue(r.Context(), guestKey, guestToken{boxoffice.GuestFromToken(token), token})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cookieName is the one name of the guest's or the admin's cookie (name)
// read and written. Under TLS it is name with the __Host- prefix: browsers
// accept such a cookie only if it is Secure, has Path=/ and no Domain, so a
// sibling subdomain (or a plain-HTTP man in the middle) cannot plant one,
// and the cookie the server reads is always one it issued to this host. The
// plain name is then ignored, since anyone who can set cookies for a
// sibling domain could have set it.
func cookieName(name string, tls bool) string {
	if tls {
		return "__Host-" + name
	}
	return name
}

// overTLS tells whether the request counts as TLS. It alone decides the
// guest cookie's name and Secure flag, and HSTS, so that the rule can change
// in one place.
func (s *server) overTLS(r *http.Request) bool { return clientOf(r).TLS }

// guestToken is what guest puts in a request's context: the guest, and the
// token it is the hash of, from which its tickets' codes are derived.
type guestToken struct {
	guest boxoffice.Guest
	token string
}

// guestOf returns the guest making the request.
func guestOf(r *http.Request) boxoffice.Guest {
	g, _ := r.Context().Value(guestKey).(guestToken)
	return g.guest
}

// ticketOf returns the code of the ticket that the guest making the request
// (in ctx, from guest) has, or would have, for show; "" outside guest.
func ticketOf(ctx context.Context, show boxoffice.ShowID) boxoffice.TicketCode {
	g, ok := ctx.Value(guestKey).(guestToken)
	if !ok {
		return ""
	}
	return boxoffice.TicketCodeFor(show, g.token)
}

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails: crypto/rand panics rather than return short
	return base64.RawURLEncoding.EncodeToString(b)
}

// validToken accepts only tokens of the shape we issue, so that a guest's
// identity always carries the full randomness.
func validToken(t string) bool {
	if len(t) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	// Every character of the unpadded URL alphabet, checked in place:
	// decoding would allocate on every request.
	for i := 0; i < len(t); i++ {
		if c := t[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
