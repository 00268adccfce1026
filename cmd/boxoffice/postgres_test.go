package main_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/ssetest"
	"boxoffice/internal/testbin"
	"boxoffice/postgres/pgtest"
)

// Two real boxoffice processes on one PostgreSQL database, as behind a load
// balancer: guests on either get the same answers, one seat goes to one
// guest, and a watcher on one instance sees bookings made on the other.
func TestTwoInstancesOnePostgres(t *testing.T) {
	db := pgtest.Database(t)
	if out, err := exec.Command(binary(t), "migrate", "--db", db).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "up to date") {
		t.Fatalf("boxoffice migrate: %v\n%s", err, out)
	}
	a, b := start(t, db), start(t, db)
	for _, p := range []*testbin.Process{a, b} {
		if !strings.Contains(p.Logs(), "engine=postgres") {
			t.Errorf("the log does not say PostgreSQL was opened:\n%s", p.Logs())
		}
	}
	show := firstShow(t, a.Base)
	if other := firstShow(t, b.Base); other != show {
		t.Fatalf("the instances list different programmes: %s and %s", show, other)
	}

	// A watcher on instance b.
	events := ssetest.Watch(t, b.Base+"/api/shows/"+show+"/events")
	if _, ok := <-events; !ok { // the snapshot
		t.Fatal("the event stream on b ended before its snapshot")
	}

	// 40 guests, half on each instance, click the same seat, each from an
	// address of its own as in the wild.
	const guests = 40
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		codes  = map[int]int{}
		winner *http.Client
	)
	for i := range guests {
		p := a
		if i%2 == 1 {
			p = b
		}
		c := newGuest(i)
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPut, p.Base+"/api/shows/"+show+"/seats/A1", nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			codes[resp.StatusCode]++
			if resp.StatusCode == http.StatusOK {
				winner = c
			}
		})
	}
	wg.Wait()
	if codes[http.StatusOK] != 1 || codes[http.StatusConflict] != guests-1 {
		t.Fatalf("answers to %d guests clicking A1 on two instances: %v; want one 200 and %d 409", guests, codes, guests-1)
	}

	ssetest.Await(t, events, "A1 booked", func(d string) bool { return strings.Contains(d, `"id":"A1","status":"booked"`) })

	// The winner's cookie works on either instance: release through the other.
	for _, p := range []*testbin.Process{a, b} {
		if st := seatStatus(t, winner, p.Base, show, "A1"); st != "mine" {
			t.Errorf("%s: the winner sees A1 as %q, want mine", p.Base, st)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, b.Base+"/api/shows/"+show+"/seats/A1", nil)
	resp2, err := winner.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("release on the other instance: %d", resp2.StatusCode)
	}
	ssetest.Await(t, events, "A1 free", func(d string) bool { return strings.Contains(d, `"id":"A1","status":"free"`) })
	if st := seatStatus(t, newClient(), a.Base, show, "A1"); st != "free" {
		t.Errorf("after the release, a says A1 is %q", st)
	}
}

// Programme changes made on one instance, through the admin API or the
// programme command, reach a watcher on another at once: a fresh snapshot
// with the new title, and for a cancellation the cancelled event, after
// which the stream ends.
func TestProgrammeChangesReachOtherInstance(t *testing.T) {
	db := pgtest.Database(t)
	const token = "admin-token-for-the-e2e-test-0123456789"
	a, b := start(t, db, "--admin-token", token), start(t, db, "--admin-token", token)
	show := firstShow(t, a.Base)
	events := ssetest.Watch(t, b.Base+"/api/shows/"+show+"/events")
	if _, ok := <-events; !ok {
		t.Fatal("the event stream on b ended before its snapshot")
	}
	admin := func(method, path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, a.Base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	// The admin API on a renames the show.
	resp := admin(http.MethodGet, "/api/admin/programme", "")
	var doc struct {
		Shows []map[string]any `json:"shows"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var current map[string]any
	for _, sh := range doc.Shows {
		if sh["id"] == show {
			current = sh
		}
	}
	if current == nil {
		t.Fatalf("the programme on a has no show %s", show)
	}
	current["title"] = "Renamed on a"
	body, _ := json.Marshal(current)
	if resp := admin(http.MethodPut, "/api/admin/shows/"+show, string(body)); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT the show on a: %s", resp.Status)
	}
	ssetest.Await(t, events, "the new title", func(data string) bool { return strings.Contains(data, `"Renamed on a"`) })

	// The programme command renames it again, from its own process.
	current["title"] = "Renamed by import"
	file, _ := json.Marshal(map[string]any{"halls": []any{}, "shows": []any{current}})
	if out, errOut, err := command(t, string(file), "programme", "import", "--db", db, "-"); err != nil {
		t.Fatalf("programme import: %v\n%s%s", err, out, errOut)
	}
	ssetest.Await(t, events, "the imported title", func(data string) bool { return strings.Contains(data, `"Renamed by import"`) })

	// Cancelled on a: b's watcher hears it, and its stream ends.
	if resp := admin(http.MethodDelete, "/api/admin/shows/"+show+"?force=true", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("cancelling on a: %s", resp.Status)
	}
	ssetest.Await(t, events, "the cancellation", func(data string) bool { return strings.Contains(data, `"show":"`+show+`"`) })
	select {
	case data, ok := <-events:
		if ok {
			t.Fatalf("b's stream went on after the cancellation: %s", data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's stream did not end after the cancellation")
	}
}
