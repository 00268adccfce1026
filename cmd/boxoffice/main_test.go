package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"boxoffice/internal/loopback"
	"boxoffice/internal/testbin"
)

// The binary that binary builds is removed when the tests end.
func TestMain(m *testing.M) { testbin.Main(m) }

// binary builds the real boxoffice command once for all tests.
func binary(t *testing.T) string { return testbin.Build(t, ".") }

// start runs boxoffice serve on a free port with db, configured by its
// flags alone, and waits for the log line that says where it listens.
func start(t *testing.T, db string, args ...string) *testbin.Process {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
	cmd.Env = testbin.Env()
	return testbin.Serve(t, cmd)
}

func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// newGuest is guest i's browser: its own cookie jar and its own source
// address (127.0.0.2 for 0, and so on), as guests in different homes would
// have. The binary runs with its default limits, which are per client
// address: guests sharing 127.0.0.1 would share one write bucket.
func newGuest(i int) *http.Client {
	c := newClient()
	c.Transport = loopback.Transport(i)
	return c
}

func firstShow(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/shows")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Shows []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || len(v.Shows) < 3 {
		t.Fatalf("shows: %+v, %v", v, err)
	}
	return v.Shows[0].ID
}

func seatStatus(t *testing.T, c *http.Client, base, show, seat string) string {
	t.Helper()
	resp, err := c.Get(base + "/api/shows/" + show + "/seats/" + seat)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Seat struct{ Status string } }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.Seat.Status
}

// TestKillNineKeepsAcknowledgedBookings books seats from many guests at once,
// kills the server with SIGKILL while they are still booking, restarts it on
// the same file and finds every booking that was answered 200.
//
// The server keeps its default limits, so each guest stays within them:
// its own address, 40 writes (the write bucket's default burst) and 10 seats
// of the show (the default cap); the 30 writes after its tenth seat book
// seats it holds already, which the cap allows.
func TestKillNineKeepsAcknowledgedBookings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "boxoffice.db")
	p := start(t, db)
	show := firstShow(t, p.Base)

	type ack struct {
		client *http.Client
		seat   string
	}
	var (
		mu     sync.Mutex
		acked  []ack
		wg     sync.WaitGroup
		killed = make(chan struct{})
	)
	rows := "ABCDEFGH"
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newGuest(g)
			for n := 1; n <= 40; n++ {
				seat := fmt.Sprintf("%c%d", rows[g], n%10+1)
				req, _ := http.NewRequest("PUT", p.Base+"/api/shows/"+show+"/seats/"+seat, nil)
				resp, err := c.Do(req)
				if err != nil {
					return // the server is gone
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					// Each guest books its own row within the limits, so
					// only a limit met (a test that no longer stands for
					// many guests) answers otherwise.
					t.Errorf("guest %d booking %s: %d %s", g, seat, resp.StatusCode, body)
				}
				if resp.StatusCode == 200 {
					mu.Lock()
					acked = append(acked, ack{c, seat})
					n := len(acked)
					mu.Unlock()
					if n == 60 {
						close(killed)
					}
				}
			}
		}()
	}
	select {
	case <-killed:
	case <-time.After(30 * time.Second):
		t.Fatal("60 bookings were not acknowledged within 30s")
	}
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	_ = p.Wait()

	p2 := start(t, db)
	mu.Lock()
	defer mu.Unlock()
	for _, a := range acked {
		if st := seatStatus(t, a.client, p2.Base, show, a.seat); st != "mine" {
			t.Errorf("acknowledged booking of %s is %q after kill -9 and restart, want mine", a.seat, st)
		}
	}
	t.Logf("%d acknowledged bookings survived kill -9", len(acked))
}

// TestGracefulShutdownEndsEventStreams sends SIGTERM while a guest watches a
// show: the stream ends and the process exits cleanly within seconds.
func TestGracefulShutdownEndsEventStreams(t *testing.T) {
	p := start(t, filepath.Join(t.TempDir(), "boxoffice.db"))
	show := firstShow(t, p.Base)
	resp, err := http.Get(p.Base + "/api/shows/" + show + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line == "" {
		t.Fatalf("stream: %q %v", line, err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, br)
		ended <- err
	}()
	sent := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream was still open 5s after SIGTERM")
	}
	select {
	case <-p.Exited():
		if err := p.Wait(); err != nil {
			t.Fatalf("exit: %v\n%s", err, p.Logs())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after SIGTERM")
	}
	t.Logf("stopped %v after SIGTERM", time.Since(sent))
	if !strings.Contains(p.Logs(), "stopped") {
		t.Errorf("log lacks the stop:\n%s", p.Logs())
	}
}

func TestDemoProgrammeAndLogs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "boxoffice.db")
	p := start(t, db)
	resp, err := http.Get(p.Base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if l := p.Logs(); !strings.Contains(l, db) || !strings.Contains(l, "demo programme") {
		t.Errorf("the log does not say which database it opened and seeded:\n%s", l)
	}
}

// A PostgreSQL that cannot be reached stops the start with a message that
// names the database without its password.
func TestUnreachablePostgresFailsClearly(t *testing.T) {
	cmd := exec.Command(binary(t), "--db", "postgres://boxoffice:s3cret-pw@127.0.0.1:1/boxoffice", "--addr", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("started on a database that does not exist")
	}
	if strings.Contains(string(out), "s3cret-pw") || strings.Contains(string(out), "panic") {
		t.Errorf("output leaks the password or panics:\n%s", out)
	}
	if !strings.Contains(string(out), "postgres://boxoffice:xxxxx@127.0.0.1:1/boxoffice") {
		t.Errorf("output does not name the database:\n%s", out)
	}
}

func TestHelp(t *testing.T) {
	out, err := exec.Command(binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	for _, want := range []string{"serve", "migrate", "programme import FILE", "programme export", "-addr", "-db", "-db-pool-size", "BOXOFFICE_ADDR", "BOXOFFICE_DB", "postgres://"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help does not mention %s:\n%s", want, out)
		}
	}
}
