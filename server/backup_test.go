package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"boxoffice"
	"boxoffice/internal/loopback"
	"boxoffice/internal/testbin"
	"boxoffice/sqlite"
	"boxoffice/storetest"
)

// The boxoffice binaries built for the tests are removed when they end.
func TestMain(m *testing.M) { testbin.Main(m) }

// serveBinary starts the real binary on db with its default limits and
// waits for the log line that says where it listens.
func serveBinary(t *testing.T, db string) *testbin.Process {
	t.Helper()
	cmd := exec.Command(testbin.Build(t, "../cmd/boxoffice"), "serve", "--addr", "127.0.0.1:0", "--db", db)
	cmd.Env = testbin.Env()
	return testbin.Serve(t, cmd)
}

// stopServer ends the server with sig and waits for it to exit.
func stopServer(t *testing.T, p *testbin.Process, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); sig == syscall.SIGTERM && err != nil {
		t.Errorf("boxoffice serve after SIGTERM: %v", err)
	}
}

// command runs boxoffice with args, as an operator would from a shell.
func command(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(testbin.Build(t, "../cmd/boxoffice"), args...)
	cmd.Env = testbin.Env()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// guestSeats reads a show's seats as the guest sees them: id to status.
func guestSeats(t *testing.T, c *http.Client, base, show string) map[string]string {
	t.Helper()
	resp, err := c.Get(base + "/api/shows/" + show)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Seats []struct{ ID, Status string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", show, resp.StatusCode, err)
	}
	seats := map[string]string{}
	for _, s := range v.Seats {
		seats[s.ID] = s.Status
	}
	return seats
}

// seatOp is one request of a guest, and what became of it.
type seatOp struct {
	seat        string
	book        bool
	sent, acked time.Time // acked: zero unless answered 200
	uncertain   bool      // no answer, or a 5xx: it may have happened
}

// write books (PUT) or releases (DELETE) one seat.
func write(c *http.Client, base, show string, o *seatOp) {
	method := http.MethodPut
	if !o.book {
		method = http.MethodDelete
	}
	req, _ := http.NewRequest(method, base+"/api/shows/"+show+"/seats/"+o.seat, nil)
	o.sent = time.Now()
	resp, err := c.Do(req)
	if err != nil {
		o.uncertain = true
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		o.acked = time.Now()
	case resp.StatusCode >= 500:
		o.uncertain = true
	}
}

// TestBackupWhileBooking is the operator's promise: a backup taken while 16
// guests (each from an address of its own, default limits) keep booking and
// releasing holds every booking acknowledged before it began; restored in
// place of a database a killed server left behind, it serves again, each
// booking held by its own guest (cookie), the killed server's log gone, and
// each show's change log replays to its seat map. Meanwhile restore refuses
// while a server uses the database, and backup refuses to overwrite.
func TestBackupWhileBooking(t *testing.T) {
	dir := t.TempDir()
	live, backup, fresh := filepath.Join(dir, "live.db"), filepath.Join(dir, "backup.db"), filepath.Join(dir, "fresh.db")
	p := serveBinary(t, live)
	show := "the-long-night" // the demo's first show, in the grand hall
	seats := slices.Sorted(maps.Keys(guestSeats(t, http.DefaultClient, p.Base, show)))
	const guests = 16
	own := len(seats) / guests
	if own < 10 {
		t.Fatalf("the show has %d seats, too few for %d guests", len(seats), guests)
	}

	// Each guest books and releases seats of its own, holding up to five,
	// one request at a time, under the default write rate: what each seat
	// holds at any moment follows from its one guest's requests.
	clients := make([]*http.Client, guests+1)
	for g := range clients {
		jar, _ := cookiejar.New(nil)
		clients[g] = &http.Client{Jar: jar, Transport: loopback.Transport(g), Timeout: 10 * time.Second}
	}
	var (
		mu    sync.Mutex
		ops   [guests][]seatOp
		acks  int
		want  = 150 // acknowledgements before the backup starts
		ready = make(chan struct{})
		wg    sync.WaitGroup
	)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	for g := range guests {
		wg.Go(func() {
			pace := rate.NewLimiter(8, 1) // the default allows 10 a second
			var mine []string
			for i := 0; pace.Wait(ctx) == nil; i++ {
				o := seatOp{seat: seats[g+guests*(i%own)], book: true}
				if len(mine) == 5 {
					o = seatOp{seat: mine[0]}
				}
				write(clients[g], p.Base, show, &o)
				mu.Lock()
				ops[g] = append(ops[g], o)
				if !o.acked.IsZero() {
					if acks++; acks == want {
						close(ready)
					}
				}
				mu.Unlock()
				switch {
				case o.acked.IsZero():
				case o.book:
					mine = append(mine, o.seat)
				default:
					mine = mine[1:]
				}
			}
		})
	}
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("%d bookings were not acknowledged within 30s", want)
	}
	began := time.Now()
	out, errOut, err := command(t, "backup", backup, "--db", live)
	ended := time.Now()
	if err != nil {
		t.Fatalf("backup: %v\n%s%s", err, out, errOut)
	}
	t.Logf("backup took %v: %s", ended.Sub(began).Round(time.Millisecond), strings.TrimSpace(out))
	mu.Lock()
	want = acks + 50 // and they go on booking after it
	ready = make(chan struct{})
	mu.Unlock()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the guests stopped booking after the backup")
	}
	stop()
	wg.Wait()

	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup has mode %v, want 0600", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(backup)
	if _, errOut, err := command(t, "backup", backup, "--db", live); err == nil || !strings.Contains(errOut, "--force") {
		t.Errorf("a second backup to the same file: %v, %q; want a refusal naming --force", err, errOut)
	}
	if after, _ := os.ReadFile(backup); !bytes.Equal(after, before) {
		t.Error("the refused backup changed the file")
	}
	if _, errOut, err := command(t, "restore", backup, "--db", live); err == nil || !strings.Contains(errOut, "boxoffice server") {
		t.Errorf("restore while the server serves: %v, %q; want a refusal naming the server", err, errOut)
	}
	if st := guestSeats(t, clients[0], p.Base, show); !slices.Contains(slices.Collect(maps.Values(st)), "mine") {
		t.Error("after the refused restore guest 0 holds nothing on the running server")
	}
	stopServer(t, p, syscall.SIGTERM)

	// A server on the fresh path books a seat and is killed, leaving a
	// write-ahead log that would be replayed onto the restored file.
	q := serveBinary(t, fresh)
	stale := seats[len(seats)-1]
	if len(seats)%guests == 0 {
		t.Fatal("every seat belongs to a guest: none left for the stale booking")
	}
	o := seatOp{seat: stale, book: true}
	if write(clients[guests], q.Base, show, &o); o.acked.IsZero() {
		t.Fatal("the stale booking was not acknowledged")
	}
	stopServer(t, q, syscall.SIGKILL)
	if fi, err := os.Stat(fresh + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the killed server left no write-ahead log: %v", err)
	}
	out, errOut, err = command(t, "restore", backup, "--db", fresh)
	if err != nil {
		t.Fatalf("restore: %v\n%s%s", err, out, errOut)
	}
	t.Logf("restore: %s", strings.TrimSpace(out))
	if _, err := os.Stat(fresh + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale write-ahead log is still beside the restored database: %v", err)
	}
	if fi, err := os.Stat(fresh); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("the restored database has mode %v, want 0600", fi.Mode().Perm())
	}

	r := serveBinary(t, fresh)
	checked, unsure := 0, 0
	holders := map[string]int{}
	for g := range guests {
		st := guestSeats(t, clients[g], r.Base, show)
		// The state a seat must be in: the last request answered before
		// the backup began decides, unless a request sent before it ended
		// may have changed it since (the copy is one moment in between).
		last, ambiguous := map[string]seatOp{}, map[string]bool{}
		for _, o := range ops[g] {
			switch {
			case !o.acked.IsZero() && o.acked.Before(began):
				last[o.seat] = o
			case (o.uncertain || !o.acked.IsZero()) && o.sent.Before(ended):
				ambiguous[o.seat] = true
			}
		}
		for i := g; i < guests*own; i += guests {
			seat := seats[i]
			if ambiguous[seat] {
				unsure++
				continue
			}
			checked++
			if o, ok := last[seat]; ok && o.book && st[seat] != "mine" {
				t.Errorf("seat %s is %s to guest %d, whose booking was acknowledged before the backup began", seat, st[seat], g)
			} else if (!ok || !o.book) && st[seat] != "free" {
				t.Errorf("seat %s is %s to guest %d, who had booked it only after the backup, or released it before", seat, st[seat], g)
			}
		}
		for seat, s := range st {
			if s == "mine" {
				holders[seat]++
			}
		}
	}
	if st := guestSeats(t, clients[guests], r.Base, show); st[stale] != "free" {
		t.Errorf("seat %s, booked by the killed server after the backup, is %s: its log was replayed", stale, st[stale])
	}
	t.Logf("%d seats checked against the backup's moment, %d written to while it ran", checked, unsure)
	if checked < 100 {
		t.Errorf("only %d seats could be checked", checked)
	}
	stopServer(t, r, syscall.SIGTERM)
	checkLog(t, fresh, holders)
}

// checkLog opens the database at path and checks every show: its change
// log replays to its seat map, which holds each seat once; and the show
// checked holds just the seats the guests said were theirs.
func checkLog(t *testing.T, path string, mine map[string]int) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	shows, err := s.Shows(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shows {
		holders := storetest.Replayed(t.Context(), t, s, sh.ID)
		if sh.ID != "the-long-night" {
			continue
		}
		for seat, n := range mine {
			if n > 1 {
				t.Errorf("seat %s is mine to %d guests", seat, n)
			}
			if holders[boxoffice.SeatID(seat)] == "" {
				t.Errorf("seat %s is mine to a guest, but nobody holds it in the seat map", seat)
			}
		}
		if len(holders) != len(mine) {
			t.Errorf("the seat map holds %d seats, the guests %d", len(holders), len(mine))
		}
	}
}
