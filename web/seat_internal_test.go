package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// The write limiter answers a refused form post through redirectToMap; the
// map then tells the wait.
func TestRedirectToMap(t *testing.T) {
	for _, tc := range []struct {
		show, result, seat string
		extra              url.Values
		want               string
	}{
		{"s 1", resultTooManyRequests, "", url.Values{"retry": {"3"}}, "/shows/s%201?result=too-many-requests&retry=3"},
		{"s", resultSeatLimit, "A3", url.Values{"limit": {"10"}}, "/shows/s?limit=10&result=seat-limit&seat=A3"},
		{"s", resultBooked, "A1", nil, "/shows/s?result=booked&seat=A1"},
	} {
		rec := httptest.NewRecorder()
		redirectToMap(rec, httptest.NewRequest("POST", "/shows/x", nil), tc.show, tc.result, tc.seat, tc.extra)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tc.want {
			t.Errorf("redirectToMap(%q, %q, %q, %v): %d to %q, want 303 to %q", tc.show, tc.result, tc.seat, tc.extra,
				rec.Code, rec.Header().Get("Location"), tc.want)
		}
	}
}
