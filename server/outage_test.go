package server_test

import (
	"boxoffice/internal/ssetest"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/postgres"
	"boxoffice/postgres/pgtest"
)

// While PostgreSQL is cut away, the API answers 503 problem+json promptly,
// the map page says the service is briefly unavailable and /readyz fails;
// when it returns, the same process serves again and an open event stream
// catches up with what another instance committed meanwhile.
func TestPostgresOutage(t *testing.T) {
	db := pgtest.Database(t)
	base := startServer(t, db)
	jar, _ := cookiejar.New(nil)
	guest := &http.Client{Jar: jar, Timeout: 20 * time.Second}

	var list struct{ Shows []struct{ ID string } }
	getJSON(t, guest, base+"/api/shows", &list)
	show := list.Shows[0].ID
	if code := status(t, guest, http.MethodPut, base+"/api/shows/"+show+"/seats/A1", nil); code != http.StatusOK {
		t.Fatalf("booking before the outage: %d", code)
	}

	// A watcher whose stream stays open through the outage.
	events := ssetest.Watch(t, base+"/api/shows/"+show+"/events")
	<-events // the snapshot

	pgtest.Cut(t, db)
	// The seat map is served from the cache while the hub can vouch for
	// it, which it can until the listener notices its connection is gone:
	// a moment, which the test waits out.
	waitFor(t, base, "boxoffice_postgres_listener_up", 0)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/shows"},
		{http.MethodGet, "/api/shows/" + show},
		{http.MethodPut, "/api/shows/" + show + "/seats/A2"},
		{http.MethodDelete, "/api/shows/" + show + "/seats/A1"},
		{http.MethodGet, "/readyz"},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		sent := time.Now()
		resp, err := guest.Do(req)
		if err != nil {
			t.Fatalf("%s %s during the outage: %v", c.method, c.path, err)
		}
		var p struct{ Type, Detail string }
		ct := resp.Header.Get("Content-Type")
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || ct != "application/problem+json" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s during the outage: %d %s, Retry-After %q; want 503 problem+json with Retry-After",
				c.method, c.path, resp.StatusCode, ct, resp.Header.Get("Retry-After"))
		}
		t.Logf("%s %s: %d after %v (%s)", c.method, c.path, resp.StatusCode, time.Since(sent).Round(time.Millisecond), p.Detail)
	}
	if code := status(t, guest, http.MethodGet, base+"/healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz during the outage: %d; it reports liveness only", code)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/shows/"+show, nil)
	req.Header.Set("Accept", "text/html")
	page, err := guest.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "unavailable") {
		t.Errorf("the map page during the outage: %d, want 503 saying the service is unavailable:\n%.300s", page.StatusCode, body)
	}

	pgtest.Restore(t, db)
	// Another instance books right away: its NOTIFY may go out before this
	// instance's listener is back, so only the resync can bring it.
	other, err := postgres.Open(t.Context(), db, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Book(t.Context(), boxoffice.ShowID(show), []boxoffice.SeatID{"B1"}, boxoffice.GuestFromToken("other"), "", 0); err != nil {
		t.Fatalf("booking on another instance after the outage: %v", err)
	}
	// The same process serves again, without a restart. The pool
	// reconnects on demand; poll rather than guess how long that takes.
	deadline := time.Now().Add(30 * time.Second)
	for status(t, guest, http.MethodGet, base+"/readyz", nil) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still failing 30s after the database returned")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := status(t, guest, http.MethodPut, base+"/api/shows/"+show+"/seats/A2", nil); code != http.StatusOK {
		t.Errorf("booking after the outage: %d", code)
	}
	if code := status(t, guest, http.MethodDelete, base+"/api/shows/"+show+"/seats/A1", nil); code != http.StatusOK {
		t.Errorf("releasing after the outage: %d", code)
	}
	seen := map[string]bool{}
	timeout := time.After(20 * time.Second)
	for !(seen["B1"] && seen["A2"]) {
		select {
		case data, ok := <-events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			for _, seat := range []string{"B1", "A2"} {
				if strings.Contains(data, `"id":"`+seat+`","status":"booked"`) {
					seen[seat] = true
				}
			}
		case <-timeout:
			t.Fatalf("after the outage the open stream saw %v of B1 (other instance) and A2 (this one)", seen)
		}
	}
}

func status(t *testing.T, c *http.Client, method, url string, body io.Reader) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
