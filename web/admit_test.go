package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/web"
)

// Set puts the clock at t.
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// doorEnv is a test server with both tokens, sessions, the clock given and
// a log to read.
func doorEnv(t *testing.T, clock *clock, log *syncBuffer) *env {
	t.Helper()
	e, _ := newPagesEnv(t, nil, func(c *web.Config) {
		c.DoorToken, c.Now = doorToken, clock.Now
		if log != nil {
			c.Logger = slog.New(slog.NewTextHandler(log, nil))
		}
	})
	return e
}

// door sends a request with the door token.
func (g *guest) door(method, path string, header ...string) response {
	g.e.t.Helper()
	return g.do(method, path, "", "", append([]string{"Authorization", "Bearer " + doorToken}, header...)...)
}

func admitPath(code string) string { return "/api/admin/tickets/" + url.PathEscape(code) + "/admit" }

// admission is the JSON of an admission.
type admission struct {
	Code       string `json:"code"`
	Show       struct{ ID, Title string }
	Seats      []struct{ ID, Row, Kind string }
	AdmittedAt string `json:"admitted_at"`
	First      bool   `json:"first"`
}

func decodeAdmission(t *testing.T, r response) admission {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("admit: %d %s", r.status, r.body)
	}
	var a admission
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func startOf(t *testing.T, e *env, show string) time.Time {
	t.Helper()
	s, err := e.store.Show(context.Background(), boxoffice.ShowID(show))
	if err != nil {
		t.Fatal(err)
	}
	return s.StartsAt
}

// The door admits a ticket from 12 hours before its show to 6 hours after,
// once: again it answers when the first admission was, at any hour. Each
// first admission logs one line, with the code cut to its first group.
func TestAdmit(t *testing.T) {
	clock, log := newClock(), &syncBuffer{}
	e := doorEnv(t, clock, log)
	alice, bob, usher := e.guest(), e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["C2","C1"]}`)
	bob.book(openShow, "B1")
	aliceCode := decodeTicket(t, alice.myTicket(openShow)).Code
	bobCode := decodeTicket(t, bob.myTicket(openShow)).Code
	start := startOf(t, e, openShow)

	for _, tc := range []struct {
		at   time.Time
		code string
	}{{start.Add(-12*time.Hour - time.Second), aliceCode}, {start.Add(6*time.Hour + time.Second), bobCode}} {
		clock.Set(tc.at)
		p := wantProblem(t, usher.door("POST", admitPath(tc.code)), 409)
		// The start as the cinema's pages say it, not as the store wrote it.
		if want := "Open Film on " + start.UTC().Format("Mon 2 Jan, 15:04") + "."; p["type"] != "/problems/wrong-day" ||
			!strings.Contains(p["detail"].(string), want) {
			t.Errorf("at %s: %v %v, want wrong-day naming %q", tc.at.Sub(start), p["type"], p["detail"], want)
		}
	}
	if tk := decodeTicket(t, alice.myTicket(openShow)); tk.AdmittedAt != nil {
		t.Fatalf("a refused admission admitted the ticket at %s", *tk.AdmittedAt)
	}

	clock.Set(start.Add(-12 * time.Hour))
	first := decodeAdmission(t, usher.door("POST", admitPath(strings.ToLower(aliceCode))))
	wantAt := clock.Now().UTC().Format(time.RFC3339)
	if !first.First || first.Code != aliceCode || first.AdmittedAt != wantAt || first.Show.ID != openShow ||
		len(first.Seats) != 2 || first.Seats[0].ID != "C1" || first.Seats[0].Kind != "wheelchair" {
		t.Errorf("first admission %+v, want first at %s with C1 C2", first, wantAt)
	}
	clock.Set(start.Add(7 * 24 * time.Hour)) // long past the window: it still tells
	again := decodeAdmission(t, e.guest().admin("POST", admitPath(aliceCode), "", ""))
	if again.First || again.AdmittedAt != wantAt || again.Code != aliceCode {
		t.Errorf("second admission %+v, want not first, at %s", again, wantAt)
	}
	clock.Set(start.Add(6 * time.Hour))
	if b := decodeAdmission(t, usher.door("POST", admitPath(bobCode))); !b.First {
		t.Errorf("bob at the window's end: %+v, want admitted", b)
	}
	for _, r := range []response{alice.myTicket(openShow), usher.do("GET", "/api/tickets/"+aliceCode, "", "")} {
		if tk := decodeTicket(t, r); tk.AdmittedAt == nil || *tk.AdmittedAt != wantAt {
			t.Errorf("the ticket after admission: admitted_at %v, want %s", tk.AdmittedAt, wantAt)
		}
	}

	for _, code := range []string{"7KQ2-ABCD-EFGH", "7KQ2-ABCD", "not a code", "UUUU-UUUU-UUUU"} {
		p := wantProblem(t, usher.door("POST", admitPath(code)), 404)
		if p["detail"] != "There is no such ticket." {
			t.Errorf("admit %q: %v", code, p["detail"])
		}
	}
	addShow(t, e, "gone")
	g := e.guest()
	g.book("gone", "A1")
	gone := decodeTicket(t, g.myTicket("gone")).Code
	cancelShow(t, e, "gone")
	wantProblem(t, usher.door("POST", admitPath(gone)), 410)

	lines := log.lines("admin change", "action=admit")
	if len(lines) != 2 {
		t.Fatalf("%d admit lines, want 2 (first admissions only): %q", len(lines), lines)
	}
	for i, code := range []string{aliceCode, bobCode} {
		for _, want := range []string{"target=ticket:" + code[:4] + "-…", "by=door"} {
			if !strings.Contains(lines[i], want) {
				t.Errorf("admit line %d lacks %s: %s", i, want, lines[i])
			}
		}
	}
}

// Once admitted, the guest can neither book nor release in the show, by
// the API or the map's form, which says why; others book as before.
func TestAdmittedLock(t *testing.T) {
	clock := newClock()
	e := doorEnv(t, clock, nil)
	alice, bob := e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	clock.Set(startOf(t, e, openShow).Add(-time.Hour))
	code := decodeTicket(t, alice.myTicket(openShow)).Code
	decodeAdmission(t, e.guest().door("POST", admitPath(code)))

	for _, r := range []response{alice.book(openShow, "A3"), alice.release(openShow, "A1"),
		alice.bookMany(openShow, `{"seats":["B1"]}`)} {
		// The seat map shows the detail to the guest: the show by its title.
		if p := wantProblem(t, r, 409); p["type"] != "/problems/admitted" ||
			!strings.HasPrefix(p["detail"].(string), "Your ticket for Open Film was admitted at the door") {
			t.Errorf("an admitted guest's write: %v %v", p["type"], p["detail"])
		}
	}
	r := alice.do("POST", "/shows/"+openShow, formCT, "release=A2")
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != 303 || loc.Query().Get("result") != "admitted" {
		t.Fatalf("the form: %d to %q, want 303 with result=admitted", r.status, r.header.Get("Location"))
	}
	page := alice.do("GET", loc.String(), "", "")
	if !strings.Contains(string(page.body), "your seats can no longer be changed") {
		t.Errorf("the map does not say why the seat stays: %.300s", page.body)
	}
	if strings.Contains(string(bob.do("GET", loc.String(), "", "").body), "your seats can no longer be changed") {
		t.Error("the sentence shows to a guest holding nothing")
	}
	if s := alice.statuses(openShow); s["A1"] != "mine" || s["A2"] != "mine" || s["A3"] != "free" || s["B1"] != "free" {
		t.Errorf("after refused writes: %v", s)
	}
	if r := bob.book(openShow, "A3"); r.status != 200 {
		t.Errorf("another guest books: %d %s", r.status, r.body)
	}
}

// Fifty ushers admit one ticket at once: every one is answered 200, exactly
// one first, all with the same time.
func TestAdmitConcurrent(t *testing.T) {
	clock := newClock()
	e := doorEnv(t, clock, nil)
	g := e.guest()
	g.book(openShow, "B2")
	clock.Set(startOf(t, e, openShow).Add(-time.Hour))
	code := decodeTicket(t, g.myTicket(openShow)).Code

	const n = 50
	type result struct {
		status int
		a      admission
		err    error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.srv.URL+admitPath(code), nil)
			req.Header.Set("Authorization", "Bearer "+doorToken)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			results[i].status = resp.StatusCode
			results[i].err = json.Unmarshal(body, &results[i].a)
		})
	}
	wg.Wait()
	firsts, at := 0, ""
	for i, r := range results {
		if r.err != nil || r.status != 200 {
			t.Fatalf("admission %d: %d %v", i, r.status, r.err)
		}
		if r.a.First {
			firsts++
		}
		if at == "" {
			at = r.a.AdmittedAt
		} else if r.a.AdmittedAt != at {
			t.Errorf("admission %d at %s, another at %s", i, r.a.AdmittedAt, at)
		}
	}
	if firsts != 1 {
		t.Errorf("%d admissions were first, want exactly 1", firsts)
	}
}
