package main_test

import (
	"boxoffice/internal/ssetest"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

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
	for _, p := range []*proc{a, b} {
		if !strings.Contains(p.log(), "engine=postgres") {
			t.Errorf("the log does not say PostgreSQL was opened:\n%s", p.log())
		}
	}
	show := firstShow(t, a.base)
	if other := firstShow(t, b.base); other != show {
		t.Fatalf("the instances list different programmes: %s and %s", show, other)
	}

	// A watcher on instance b.
	events := ssetest.Watch(t, b.base+"/api/shows/"+show+"/events")
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
			req, _ := http.NewRequest(http.MethodPut, p.base+"/api/shows/"+show+"/seats/A1", nil)
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

	waitFor := func(what string, match func(string) bool) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case data, ok := <-events:
				if !ok {
					t.Fatalf("the event stream on b ended while waiting for %s", what)
				}
				if match(data) {
					return
				}
			case <-timeout:
				t.Fatalf("the watcher on b did not see %s within 10s", what)
			}
		}
	}
	waitFor("A1 booked", func(d string) bool { return strings.Contains(d, `"id":"A1","status":"booked"`) })

	// The winner's cookie works on either instance: release through the other.
	for _, p := range []*proc{a, b} {
		if st := seatStatus(t, winner, p.base, show, "A1"); st != "mine" {
			t.Errorf("%s: the winner sees A1 as %q, want mine", p.base, st)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, b.base+"/api/shows/"+show+"/seats/A1", nil)
	resp2, err := winner.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("release on the other instance: %d", resp2.StatusCode)
	}
	waitFor("A1 free", func(d string) bool { return strings.Contains(d, `"id":"A1","status":"free"`) })
	if st := seatStatus(t, newClient(), a.base, show, "A1"); st != "free" {
		t.Errorf("after the release, a says A1 is %q", st)
	}
}
