package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

func startConfig(t *testing.T, cfg Config, log *slog.Logger) *Server {
	t.Helper()
	cfg.Addr, cfg.DB, cfg.Demo, cfg.Location = "127.0.0.1:0", filepath.Join(t.TempDir(), "b.db"), true, time.UTC
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// With --metrics-addr the metrics move to the operator's listener, keeping
// their token, and the public address no longer has them; both listeners
// close with the server.
func TestMetricsAddr(t *testing.T) {
	srv := startConfig(t, Config{MetricsAddr: "127.0.0.1:0", MetricsToken: "s3cret"}, nil)
	public, private := "http://"+srv.URLHost(), "http://"+srv.MetricsAddr().String()

	if resp, _ := get(t, public+"/metrics", "s3cret"); resp.StatusCode != http.StatusNotFound ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET /metrics on the public address: %d %s, want a 404 problem", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := get(t, private+"/metrics", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /metrics without the token: %d, want 401", resp.StatusCode)
	}
	resp, body := get(t, private+"/metrics", "s3cret")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "boxoffice_http_requests_total") {
		t.Errorf("GET /metrics with the token: %d, want 200 with the server's series:\n%.300s", resp.StatusCode, body)
	}
	// The requests on the public address are what the metrics tell of.
	if !strings.Contains(body, `code="404",route="unrouted"`) {
		t.Errorf("the metrics do not count the public address's requests:\n%s", body)
	}
	if resp, _ := get(t, private+"/healthz", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /healthz on the metrics address: %d, want 404: it serves /metrics alone", resp.StatusCode)
	}

	if err := srv.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{srv.URLHost(), srv.MetricsAddr().String()} {
		if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Shutdown", addr)
		}
	}
}

// forgettingStore records the deletions of old change logs asked of it.
type forgettingStore struct {
	boxoffice.Store
	mu     sync.Mutex
	before []time.Time
}

func (s *forgettingStore) ForgetHistory(ctx context.Context, startedBefore time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = append(s.before, startedBefore)
	return 0, nil
}

// --history-days has the store delete, at start and hourly, the change log
// of shows that started that many days ago; 0 deletes nothing.
func TestHistoryDays(t *testing.T) {
	for _, days := range []int{0, 3} {
		store := &forgettingStore{}
		started := time.Now()
		srv := startConfig(t, Config{HistoryDays: days,
			wrapStore: func(s boxoffice.Store) boxoffice.Store { store.Store = s; return store }}, nil)
		// Shutdown waits for the deletion under way: after it, the one
		// made at start has been asked for.
		if err := srv.Shutdown(); err != nil {
			t.Fatal(err)
		}
		store.mu.Lock()
		asked := store.before
		store.mu.Unlock()
		switch {
		case days == 0 && len(asked) > 0:
			t.Errorf("--history-days 0 deleted history before %v", asked)
		case days > 0 && len(asked) != 1:
			t.Errorf("--history-days %d: %d deletions by shutdown, want the one at start", days, len(asked))
		case days > 0:
			want := started.Add(-time.Duration(days) * 24 * time.Hour)
			if d := asked[0].Sub(want); d < 0 || d > time.Minute {
				t.Errorf("--history-days %d deleted before %v, want %v", days, asked[0], want)
			}
		}
	}
}

// An event stream's connection, taken over from net/http, stays counted
// against its address while open, carries changes through the counting
// wrapper, and gives its slot back when the stream ends.
func TestTakenOverStreamThroughTheConnectionCap(t *testing.T) {
	var logs bytes.Buffer
	srv := startConfig(t, Config{MaxConnsPerClient: 1}, slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)))
	shows, err := srv.store.Shows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	show := string(shows[0].ID)

	watcher := dialFrom(t, "127.0.0.2", srv.URLHost())
	if _, err := io.WriteString(watcher, "GET /api/shows/"+show+"/events HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	events := bufio.NewReader(watcher)
	if !readUntil(events, "event: snapshot") {
		t.Fatal("no snapshot")
	}
	// The stream is the address's one connection: another is refused.
	if !refused(dialFrom(t, "127.0.0.2", srv.URLHost())) {
		t.Error("a second connection from the watcher's address was accepted past a cap of 1")
	}

	// A booking from elsewhere reaches the watcher through the wrapper.
	booker := dialFrom(t, "127.0.0.3", srv.URLHost())
	if _, err := io.WriteString(booker, "PUT /api/shows/"+show+"/seats/A1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(booker), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("booking: %v, %v", resp, err)
	}
	if !readUntil(events, "event: seats") {
		t.Fatal("the watcher did not hear of the booking")
	}
	if err := srv.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// Read once the server has stopped writing to the log.
	if strings.Contains(logs.String(), "could not be taken over") {
		t.Errorf("the stream stayed with net/http:\n%s", logs.String())
	}
	if n := srv.ln.conns.Held(); n != 0 {
		t.Errorf("%d connections still counted after every stream ended", n)
	}
}

// refused tells whether the server closed c without answering a request.
func refused(c net.Conn) bool {
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := http.ReadResponse(bufio.NewReader(c), nil)
	return err != nil
}

// The resolved --max-streams is logged at start with where it came from:
// "auto" hides a figure that depends on the machine.
func TestMaxStreamsLoggedAtStart(t *testing.T) {
	withOpenFiles(t, 5000, nil)
	cfg, err := ParseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	srv := startConfig(t, cfg, slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)))
	srv.Shutdown()
	var lines []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "max_streams=") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "level=INFO") || !strings.Contains(lines[0], "max_streams=3976") ||
		!strings.Contains(lines[0], "open-files limit 5000") {
		t.Errorf("want one INFO line with max_streams=3976 from the open-files limit 5000; got %q", lines)
	}
}
