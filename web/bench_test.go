package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/demo"
	"boxoffice/live"
	"boxoffice/sqlite"
	"boxoffice/web"
)

// The HTTP benchmarks drive a real server over loopback TCP from 64 client
// goroutines at once, as the reference workload does. Their figures
// mean most as ratios to BenchmarkHTTPBaseline, run the same way in the same
// process: go test -run '^$' -bench HTTP -benchmem ./web/

const benchClients = 64

// benchServer serves the demo programme with the production middleware and
// an INFO text logger (to io.Discard), and returns its URL, the grand hall's
// first show and its seats.
func benchServer(b *testing.B) (string, boxoffice.ShowID, []boxoffice.Seat) {
	b.Helper()
	h, show, seats := benchHandler(b, nil)
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL, show, seats
}

// benchHandler is benchServer's handler, not yet served; wrap, if not nil,
// stands between it and the store.
func benchHandler(b testing.TB, wrap func(boxoffice.Store) boxoffice.Store) (http.Handler, boxoffice.ShowID, []boxoffice.Seat) {
	b.Helper()
	var hub *live.Hub
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{
		OnCommit: func(show boxoffice.ShowID, v int64) { hub.Committed(show, v) },
	})
	if err != nil {
		b.Fatal(err)
	}
	hub = live.NewHub(store, live.Options{Complete: true})
	b.Cleanup(func() {
		hub.Close()
		store.Close()
	})
	p, err := demo.Programme(time.Now(), time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Seed(context.Background(), p); err != nil {
		b.Fatal(err)
	}
	var st boxoffice.Store = store
	if wrap != nil {
		st = wrap(store)
	}
	h, err := web.NewHandler(web.Config{Store: st, Hub: hub, Location: time.UTC,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	for _, sh := range p.Shows {
		if sh.Hall.ID == "grand" {
			return h, sh.ID, sh.Hall.Layout.Seats
		}
	}
	b.Fatal("no show in the grand hall")
	return nil, "", nil
}

// benchClient is a keep-alive client with room for every benchmark
// goroutine's connection, without compression.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: benchClients, MaxIdleConnsPerHost: benchClients, DisableCompression: true,
	}}
}

// runClients runs do from benchClients goroutines; each gets its own
// number (for its own guest cookie, say).
func runClients(b *testing.B, do func(n int64, c *http.Client) error) {
	// The machine is shared: CPU time per request, client's included, is a
	// steadier yardstick than wall time when others load it.
	runClientsTimed(b, cpuTime, "cpu-µs/op", do)
}

// runClientsTimed is runClients reporting the CPU time cpu counts, per op,
// as unit.
func runClientsTimed(b *testing.B, cpu func() time.Duration, unit string, do func(n int64, c *http.Client) error) {
	c := benchClient()
	var next atomic.Int64
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpu()
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		for pb.Next() {
			if err := do(n, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), unit)
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// send does one request and reads the whole answer.
func send(c *http.Client, req *http.Request, want ...int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			return err
		}
	}
	return fmt.Errorf("%s %s: status %d, want one of %v", req.Method, req.URL.Path, resp.StatusCode, want)
}

// BenchmarkHTTPBaseline is the yardstick: an empty handler answering a small
// JSON body.
func BenchmarkHTTPBaseline(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	}))
	defer srv.Close()
	runClients(b, func(_ int64, c *http.Client) error {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		return send(c, req, http.StatusOK)
	})
}

// BenchmarkHTTPBook: 64 guests, each with its own cookie, booking and
// releasing random seats among 250 (spread) or 4 (hot). One op is one PUT or
// DELETE; a taken seat (409) counts as an answer like any other.
func BenchmarkHTTPBook(b *testing.B) {
	for _, w := range []struct {
		name  string
		seats int
	}{{"spread", 250}, {"hot", 4}} {
		b.Run(w.name, func(b *testing.B) {
			url, show, seats := benchServer(b)
			seats = seats[:w.seats]
			runClients(b, func(n int64, c *http.Client) error {
				// A valid token: 43 base64url characters.
				cookie := &http.Cookie{Name: "boxoffice_guest", Value: fmt.Sprintf("%043d", n)}
				seat := seats[rand.IntN(len(seats))].ID
				path := url + "/api/shows/" + string(show) + "/seats/" + string(seat)
				method := http.MethodPut
				if rand.IntN(2) == 0 {
					method = http.MethodDelete
				}
				req, _ := http.NewRequest(method, path, nil)
				req.AddCookie(cookie)
				return send(c, req, http.StatusOK, http.StatusConflict, http.StatusForbidden)
			})
		})
	}
}

// BenchmarkHTTPSeatMap: 64 cookie-less readers of a 374-seat show's map,
// JSON and the HTML page, while a third of its seats are booked.
func BenchmarkHTTPSeatMap(b *testing.B) {
	for _, kind := range []string{"json", "html"} {
		b.Run(kind, func(b *testing.B) {
			url, show, seats := benchServer(b)
			c := benchClient()
			for i := 0; i < len(seats); i += 3 {
				req, _ := http.NewRequest(http.MethodPut, url+"/api/shows/"+string(show)+"/seats/"+string(seats[i].ID), nil)
				if err := send(c, req, http.StatusOK); err != nil {
					b.Fatal(err)
				}
			}
			path := url + "/api/shows/" + string(show)
			if kind == "html" {
				path = url + "/shows/" + string(show)
			}
			runClients(b, func(int64, *http.Client) error {
				req, _ := http.NewRequest(http.MethodGet, path, nil)
				return send(c, req, http.StatusOK)
			})
		})
	}
}

// instantStore answers bookings and releases at once, without the database:
// a success, or with refuse every seat is another guest's. What is left of
// a booking is the HTTP layer's own work, middleware and encoding, which is
// all that hand-written encoders or shared header values could speed up.
type instantStore struct {
	boxoffice.Store
	refuse bool
}

func (s instantStore) Book(_ context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, g boxoffice.Guest, _ boxoffice.TicketHash, _ int) (boxoffice.Change, error) {
	if s.refuse {
		return boxoffice.Change{}, boxoffice.TakenError(seats)
	}
	return instantChange(show, seats, g), nil
}

func (s instantStore) Release(_ context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, _ boxoffice.Guest) (boxoffice.Change, error) {
	if s.refuse {
		return boxoffice.Change{}, boxoffice.NotYoursError(seats)
	}
	return instantChange(show, seats, ""), nil
}

func instantChange(show boxoffice.ShowID, seats []boxoffice.SeatID, holder boxoffice.Guest) boxoffice.Change {
	c := boxoffice.Change{Show: show, Version: 1, At: time.Now()}
	for _, s := range seats {
		c.Seats = append(c.Seats, boxoffice.SeatChange{Seat: s, Holder: holder, By: holder})
	}
	return c
}

// answerCases are the answers BenchmarkHTTPAnswer and BenchmarkHandler time:
// a booking that succeeds (200 and the seat), one refused (409 problem), and
// a probe (200, a small JSON body), the least any request costs.
var answerCases = []struct {
	name   string
	refuse bool
	method string
	path   func(show boxoffice.ShowID, seat boxoffice.SeatID) string
	want   int
}{
	{"booked", false, http.MethodPut, seatPath, http.StatusOK},
	{"taken", true, http.MethodPut, seatPath, http.StatusConflict},
	{"probe", false, http.MethodGet, func(boxoffice.ShowID, boxoffice.SeatID) string { return "/healthz" }, http.StatusOK},
}

func seatPath(show boxoffice.ShowID, seat boxoffice.SeatID) string {
	return "/api/shows/" + string(show) + "/seats/" + string(seat)
}

// BenchmarkHTTPAnswer: 64 guests with their own cookies, over loopback TCP
// as the other HTTP benchmarks, against instantStore.
func BenchmarkHTTPAnswer(b *testing.B) {
	for _, tc := range answerCases {
		b.Run(tc.name, func(b *testing.B) {
			h, show, seats := benchHandler(b, func(s boxoffice.Store) boxoffice.Store { return instantStore{s, tc.refuse} })
			srv := httptest.NewServer(h)
			b.Cleanup(srv.Close)
			runClients(b, func(n int64, c *http.Client) error {
				req, _ := http.NewRequest(tc.method, srv.URL+tc.path(show, seats[rand.IntN(len(seats))].ID), nil)
				req.AddCookie(&http.Cookie{Name: "boxoffice_guest", Value: fmt.Sprintf("%043d", n)})
				return send(c, req, tc.want)
			})
		})
	}
}

// BenchmarkHandler: the same answers from the handler called directly, one
// at a time, without a network or a client: the server's own work only, so
// a change to it shows here undiluted.
func BenchmarkHandler(b *testing.B) {
	for _, tc := range answerCases {
		b.Run(tc.name, func(b *testing.B) {
			h, show, seats := benchHandler(b, func(s boxoffice.Store) boxoffice.Store { return instantStore{s, tc.refuse} })
			cookie := &http.Cookie{Name: "boxoffice_guest", Value: fmt.Sprintf("%043d", 1)}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				req := httptest.NewRequest(tc.method, tc.path(show, seats[i%len(seats)].ID), nil)
				req.AddCookie(cookie)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != tc.want {
					b.Fatalf("%s %s: %d, want %d", req.Method, req.URL.Path, w.Code, tc.want)
				}
				i++
			}
		})
	}
}

// BenchmarkServerCPU: the answers of BenchmarkHTTPAnswer and the bookings of
// BenchmarkHTTPBook from a server in a process of its own (this test binary
// run again, see TestBenchServer), so that the server's CPU time per request
// is measured without the client's, as server-µs/op (B/op and allocs/op
// are the client's).
func BenchmarkServerCPU(b *testing.B) {
	for _, tc := range answerCases {
		b.Run(tc.name, func(b *testing.B) {
			srv := startServerProcess(b, tc.name)
			runClientsTimed(b, srv.cpu, "server-µs/op", func(n int64, c *http.Client) error {
				req, _ := http.NewRequest(tc.method, srv.URL+tc.path(srv.Show, srv.Seats[rand.IntN(len(srv.Seats))]), nil)
				req.AddCookie(&http.Cookie{Name: "boxoffice_guest", Value: fmt.Sprintf("%043d", n)})
				return send(c, req, tc.want)
			})
		})
	}
	for _, w := range []struct {
		name  string
		seats int
	}{{"spread", 250}, {"hot", 4}} {
		b.Run(w.name, func(b *testing.B) {
			srv := startServerProcess(b, w.name)
			seats := srv.Seats[:w.seats]
			runClientsTimed(b, srv.cpu, "server-µs/op", func(n int64, c *http.Client) error {
				method := http.MethodPut
				if rand.IntN(2) == 0 {
					method = http.MethodDelete
				}
				req, _ := http.NewRequest(method, srv.URL+seatPath(srv.Show, seats[rand.IntN(len(seats))]), nil)
				req.AddCookie(&http.Cookie{Name: "boxoffice_guest", Value: fmt.Sprintf("%043d", n)})
				return send(c, req, http.StatusOK, http.StatusConflict, http.StatusForbidden)
			})
		})
	}
}

// benchServerEnv names, for TestBenchServer, what to serve: a case of
// answerCases against instantStore, or "spread" or "hot" on SQLite.
const benchServerEnv = "BOXOFFICE_BENCH_SERVER"

// rusagePath answers the server process's CPU time, in nanoseconds. It is
// looked at before the handler, in both versions of any comparison alike.
const rusagePath = "/bench-rusage"

// benchServerInfo is what TestBenchServer tells the benchmark, as one line
// of JSON on its standard output.
type benchServerInfo struct {
	URL   string
	Show  boxoffice.ShowID
	Seats []boxoffice.SeatID
}

type serverProcess struct {
	benchServerInfo
	c *http.Client
}

// cpu is the CPU time the server process has used.
func (s *serverProcess) cpu() time.Duration {
	resp, err := s.c.Get(s.URL + rusagePath)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var ns int64
	if _, err := fmt.Fscan(resp.Body, &ns); err != nil {
		panic(err)
	}
	return time.Duration(ns)
}

// startServerProcess runs this test binary again as the server of one case;
// it stops when the benchmark ends (its standard input closes).
func startServerProcess(b *testing.B, name string) *serverProcess {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServer$", "-test.bench=^$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("bench server: %v", err)
		}
	})
	srv := &serverProcess{c: benchClient()}
	if err := json.NewDecoder(stdout).Decode(&srv.benchServerInfo); err != nil {
		b.Fatalf("bench server: %v", err)
	}
	go io.Copy(io.Discard, stdout) // the test's own lines as it ends
	return srv
}

// TestBenchServer is not a test: it is the server of BenchmarkServerCPU,
// run by it in a process of its own, and skips otherwise.
func TestBenchServer(t *testing.T) {
	name := os.Getenv(benchServerEnv)
	if name == "" {
		t.Skip("the server of BenchmarkServerCPU, started by it")
	}
	var wrap func(boxoffice.Store) boxoffice.Store
	for _, tc := range answerCases {
		if tc.name == name {
			wrap = func(s boxoffice.Store) boxoffice.Store { return instantStore{s, tc.refuse} }
		}
	}
	h, show, seats := benchHandler(t, wrap)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == rusagePath {
			fmt.Fprint(w, int64(cpuTime()))
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	info := benchServerInfo{URL: srv.URL, Show: show}
	for _, seat := range seats {
		info.Seats = append(info.Seats, seat.ID)
	}
	if err := json.NewEncoder(os.Stdout).Encode(info); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark ends
}
