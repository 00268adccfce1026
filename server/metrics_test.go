package server_test

import (
	"bufio"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/ssetest"
	"boxoffice/postgres/pgtest"
	"boxoffice/server"
)

// /metrics tells an operator what the server did, in the Prometheus text
// format: requests by route and status, bookings and releases by outcome,
// the writer's commits, and the event streams open; on either database.
func TestMetrics(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testMetrics(t, filepath.Join(t.TempDir(), "m.db")) })
	t.Run("postgres", func(t *testing.T) { testMetrics(t, pgtest.Database(t)) })
}

// On PostgreSQL, /metrics says whether the instance hears the others'
// bookings: up once listening, and up again, counted, once a lost
// connection is back.
func TestMetricsListener(t *testing.T) {
	db := pgtest.Database(t)
	base := startServer(t, db)
	waitFor(t, base, "boxoffice_postgres_listener_up", 1)
	waitFor(t, base, "boxoffice_postgres_listener_connects_total", 1)
	pgtest.Terminate(t, db, "boxoffice-listener")
	waitFor(t, base, "boxoffice_postgres_listener_connects_total", 2)
	waitFor(t, base, "boxoffice_postgres_listener_up", 1)
}

// waitFor polls /metrics until series has value want; the server sends no
// other signal. It fails after 10 s.
func waitFor(t *testing.T, base, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, ok := scrape(t, base)[series]
		if ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v (present: %v), want %v within 10s", series, got, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testMetrics(t *testing.T, db string) {
	base := startServer(t, db)
	guest := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 10 * time.Second}
	}
	anna, ben := guest(), guest()

	var list struct{ Shows []struct{ ID string } }
	getJSON(t, anna, base+"/api/shows", &list)
	seat := base + "/api/shows/" + list.Shows[0].ID + "/seats/A1"
	for _, c := range []struct {
		who    *http.Client
		method string
		want   int
	}{
		{anna, http.MethodPut, http.StatusOK},          // changed
		{ben, http.MethodPut, http.StatusConflict},     // taken
		{anna, http.MethodPut, http.StatusOK},          // unchanged
		{ben, http.MethodDelete, http.StatusForbidden}, // not yours
	} {
		if got := status(t, c.who, c.method, seat, nil); got != c.want {
			t.Fatalf("%s A1: %d, want %d", c.method, got, c.want)
		}
	}
	if got := status(t, anna, http.MethodGet, base+"/no/such/page", nil); got != http.StatusNotFound {
		t.Fatalf("GET /no/such/page: %d", got)
	}

	events := ssetest.Watch(t, base+"/api/shows/"+list.Shows[0].ID+"/events")
	<-events // the snapshot: the stream is open

	m := scrape(t, base)
	seatRoute := `route="PUT /api/shows/{show}/seats/{seat}"`
	for series, want := range map[string]float64{
		`boxoffice_http_requests_total{code="200",` + seatRoute + `}`:             2,
		`boxoffice_http_requests_total{code="409",` + seatRoute + `}`:             1,
		`boxoffice_http_requests_total{code="404",route="unrouted"}`:              1,
		`boxoffice_http_request_duration_seconds_count{` + seatRoute + `}`:        3,
		`boxoffice_seat_operations_total{operation="book",result="changed"}`:      1,
		`boxoffice_seat_operations_total{operation="book",result="taken"}`:        1,
		`boxoffice_seat_operations_total{operation="book",result="unchanged"}`:    1,
		`boxoffice_seat_operations_total{operation="release",result="not_yours"}`: 1,
		`boxoffice_commit_batch_operations_sum`:                                   4,
		`boxoffice_event_streams`:                                                 1,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
	if n := m["boxoffice_commit_batch_duration_seconds_count"]; n < 1 || n > 4 {
		t.Errorf("%v commit batches for 4 operations", n)
	}
	if _, ok := m["boxoffice_postgres_listener_up"]; ok != strings.HasPrefix(db, "postgres://") {
		t.Errorf("boxoffice_postgres_listener_up present: %v; want it exactly on PostgreSQL", ok)
	}
	for _, series := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if m[series] <= 0 {
			t.Errorf("%s missing: the runtime's and the process's own metrics are served too", series)
		}
	}

}

// scrape reads /metrics into series → value, as Prometheus would.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q, want 200 in the Prometheus text format", resp.StatusCode, ct)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	return m
}

// startServer serves the demo programme from db on a free port until the
// test ends, and returns its base URL.
func startServer(t *testing.T, db string) string {
	t.Helper()
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: db, Demo: true, Location: time.UTC},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + srv.URLHost()
}
