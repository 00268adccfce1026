package web

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"boxoffice"
)

// FuzzGuestCookie: whatever Cookie header arrives, the request acts as
// exactly one guest: the one its valid cookie of the right name names, and
// no Set-Cookie; otherwise a fresh, valid one, set once on the answer.
func FuzzGuestCookie(f *testing.F) {
	good := "Ab9-_Ab9-_Ab9-_Ab9-_Ab9-_Ab9-_Ab9-_Ab9-_xyz"
	for _, seed := range []struct {
		cookie string
		tls    bool
	}{
		{"boxoffice_guest=" + good, false},
		{"boxoffice_guest=" + good, true},
		{"__Host-boxoffice_guest=" + good, true},
		{"__Host-boxoffice_guest=" + good, false},
		{"boxoffice_guest=" + good[:42], false},
		{"boxoffice_guest=" + good + "A", false},
		{"boxoffice_guest=\"" + good + "\"", false},
		{"boxoffice_guest=" + good[:42] + "+; boxoffice_guest=" + good, false},
		{"a=b; boxoffice_guest=" + good + "; c", false},
		{"", true},
	} {
		f.Add(seed.cookie, seed.tls)
	}
	s := &server{log: slog.New(slog.DiscardHandler)}
	var got boxoffice.Guest
	h := s.clients(s.guest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = guestOf(r) })))
	f.Fuzz(func(t *testing.T, cookie string, tls bool) {
		target := "http://boxoffice/api/shows/s"
		if tls {
			target = "https://boxoffice/api/shows/s"
		}
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		got = ""
		h.ServeHTTP(rec, req)

		name := cookieName(guestCookie, tls)
		sent := ""
		if c, err := req.Cookie(name); err == nil {
			sent = c.Value
		}
		set := rec.Result().Cookies()
		if sentOK := decodesToToken(sent); sentOK != validToken(sent) {
			t.Fatalf("validToken(%q) = %v, but it decodes to a token: %v", sent, validToken(sent), sentOK)
		}
		if validToken(sent) {
			if len(set) != 0 || got != boxoffice.GuestFromToken(sent) {
				t.Fatalf("cookie %q: acts as %q with %d new cookies, want its own guest and none", cookie, got, len(set))
			}
			return
		}
		if len(set) != 1 || set[0].Name != name || !validToken(set[0].Value) || set[0].Secure != tls ||
			got != boxoffice.GuestFromToken(set[0].Value) {
			t.Fatalf("cookie %q (TLS %v): new cookies %+v, acting as %q; want one valid %s and to act as its guest", cookie, tls, set, got, name)
		}
	})
}

// decodesToToken is validToken's reference: the unpadded URL-safe base64 of
// tokenBytes bytes.
func decodesToToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == tokenBytes && len(s) == base64.RawURLEncoding.EncodedLen(tokenBytes)
}
