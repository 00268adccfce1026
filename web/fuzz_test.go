package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"boxoffice"
)

// fuzzEnv is the test programme behind the real handler, served without a
// network so that a fuzzer tries many inputs a second.
func fuzzEnv(f *testing.F) func(method, path, ctype, body, cookie string) *httptest.ResponseRecorder {
	e := newEnvWith(f, testLayout, nil, (*httptest.Server).Start)
	return func(method, path, ctype, body, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		e.srv.Config.Handler.ServeHTTP(rec, req)
		return rec
	}
}

// fuzzCookie is a guest that the fuzz targets book and release as.
const fuzzCookie = "boxoffice_guest=fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuz"

// wantSound checks what every answer to outside input must be: no server
// error, and a refusal of an API request is a problem without internal text.
func wantSound(t *testing.T, what string, rec *httptest.ResponseRecorder, api bool) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: %d %s", what, rec.Code, rec.Body)
	}
	if rec.Code < 400 {
		return
	}
	body := rec.Body.String()
	if api {
		var p struct{ Type, Detail string }
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil ||
			!strings.HasPrefix(p.Type, "/problems/") || p.Detail == "" {
			t.Fatalf("%s: %d %s %s, want a problem", what, rec.Code, ct, body)
		}
		body = p.Detail
	}
	for _, s := range []string{"json:", "boxoffice.", "tcp", "127.0.0.1"} {
		if strings.Contains(body, s) {
			t.Fatalf("%s: the answer shows %q: %s", what, s, body)
		}
	}
}

// FuzzPathIDs: show and seat ids come from the path, escaped any way a
// client likes.
func FuzzPathIDs(f *testing.F) {
	for _, seed := range [][2]string{
		{openShow, "A1"}, {closedShow, "C2"}, {openShow, "a1"}, {"", ""}, {"nope", "A1"}, {openShow, "Z99"},
		{"open-show\x00", "A1"}, {openShow, "A1\n"}, {strings.Repeat("x", 200), "A1"}, {"..", "A1"}, {"a/b", "A1"},
		{openShow, "\xff"}, {"öpen", "A\u200b1"}, {openShow, "%41%31"},
	} {
		f.Add(seed[0], seed[1])
	}
	do := fuzzEnv(f)
	l, err := boxoffice.ParseLayout(testLayout)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, show, seat string) {
		base := "/api/shows/" + url.PathEscape(show)
		wantSound(t, "GET show "+base, do("GET", base, "", "", fuzzCookie), true)
		path := base + "/seats/" + url.PathEscape(seat)
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			rec := do(method, path, "", "", fuzzCookie)
			wantSound(t, method+" "+path, rec, true)
			if rec.Code == http.StatusOK && (show != openShow && show != closedShow || !l.Has(boxoffice.SeatID(seat))) {
				t.Fatalf("%s %s: 200 for a show or seat that does not exist", method, path)
			}
		}
	})
}

// FuzzBookings: a booking's body and media type, through the real handler
// and store. Seats booked are released again, so that the hall stays free
// to book.
func FuzzBookings(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"seats":["A1","A2"]}`, "application/json"},
		{`{"seats":["A1"]}`, ""},
		{`{"seats":["A1","A1","Z9"]}`, "application/json; charset=utf-8"},
		{`{"seats":[]}`, "application/json"},
		{`{"seats":5}`, "application/json"},
		{`{"seats":[1]}`, "application/json"},
		{`{"seats":null}`, "application/json"},
		{`{"seats":["A1"],"x":1}`, "application/json"},
		{`{"seats":["A1"]}{}`, "application/json"},
		{`{"seats":["` + strings.Repeat("A", 5000) + `"]}`, "application/json"},
		{`["A1"]`, "application/json"},
		{`{"seats":["A1"]}`, "text/plain"},
		{`{"seats":["A1"]}`, "application/json; charset"},
		{"", "application/json"},
		{"\xff\xfe", "application/json"},
	} {
		f.Add(seed[0], seed[1])
	}
	do := fuzzEnv(f)
	path := "/api/shows/" + openShow + "/bookings"
	f.Fuzz(func(t *testing.T, body, ctype string) {
		rec := do("POST", path, ctype, body, fuzzCookie)
		wantSound(t, "POST "+body, rec, true)
		if rec.Code != http.StatusOK {
			return
		}
		var res struct {
			Seats []struct{ ID, Status string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Seats) == 0 {
			t.Fatalf("POST %s: 200 %s", body, rec.Body)
		}
		for _, s := range res.Seats {
			if s.Status != "mine" {
				t.Fatalf("POST %s: 200 with seat %s %s", body, s.ID, s.Status)
			}
			if rec := do("DELETE", "/api/shows/"+openShow+"/seats/"+url.PathEscape(s.ID), "", "", fuzzCookie); rec.Code != http.StatusOK {
				t.Fatalf("releasing %s: %d %s", s.ID, rec.Code, rec.Body)
			}
		}
	})
}

// FuzzSeatForm: the seat map's form, for browsers without JavaScript. It
// answers 303 to the map with a known outcome and a seat of the hall, or
// refuses with an error page; never a server error.
func FuzzSeatForm(f *testing.F) {
	for _, seed := range [][2]string{
		{"seat=A1", "application/x-www-form-urlencoded"},
		{"release=A1", "application/x-www-form-urlencoded"},
		{"seat=A1&release=A2", "application/x-www-form-urlencoded"},
		{"seat=C1&seat=C2", "application/x-www-form-urlencoded"},
		{"seat=Z9", "application/x-www-form-urlencoded"},
		{"seat=%zz", "application/x-www-form-urlencoded"},
		{"seat=" + strings.Repeat("A", 5000), "application/x-www-form-urlencoded"},
		{"seat=A1", "multipart/form-data; boundary=x"},
		{"seat=A1", "text/plain"},
		{"seat=A1;release=A1", ""},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	do := fuzzEnv(f)
	l, err := boxoffice.ParseLayout(testLayout)
	if err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{"booked": true, "released": true, "taken": true, "not-yours": true, "closed": true,
		"unknown": true, "unavailable": true, "error": true, "seat-limit": true, "too-many-requests": true}
	f.Fuzz(func(t *testing.T, body, ctype string) {
		rec := do("POST", "/shows/"+openShow, ctype, body, fuzzCookie)
		wantSound(t, "POST "+body, rec, false)
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("POST %q: %d as %q, want an error page", body, rec.Code, ct)
			}
			return
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusSeeOther || err != nil || loc.Path != "/shows/"+openShow {
			t.Fatalf("POST %q: %d to %q, want 303 to the map", body, rec.Code, rec.Header().Get("Location"))
		}
		q := loc.Query()
		if seat := q.Get("seat"); !known[q.Get("result")] || seat != "" && !l.Has(boxoffice.SeatID(seat)) {
			t.Fatalf("POST %q: redirected with %v", body, q)
		}
	})
}
