package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// logSignal is a log handler that tells, once, of the first record whose
// message starts with prefix: a test waits on what the server says it did
// rather than guessing how long it takes.
type logSignal struct {
	prefix string
	seen   chan struct{}
	once   sync.Once
}

func newLogSignal(prefix string) *logSignal {
	return &logSignal{prefix: prefix, seen: make(chan struct{})}
}

func (l *logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSignal) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSignal) WithGroup(string) slog.Handler            { return l }
func (l *logSignal) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, l.prefix) {
		l.once.Do(func() { close(l.seen) })
	}
	return nil
}

func statusOf(t *testing.T, c *http.Client, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// After the signal (ctx cancelled in Run), a server with --shutdown-delay
// answers /readyz with 503 so that balancers take it out, and goes on
// serving seat maps and bookings to the guests who still reach it; only when
// the delay ends (here: the second signal, ctx) does Drain return and
// Shutdown begin.
func TestDrainFailsReadinessOnly(t *testing.T) {
	said := newLogSignal("draining:")
	srv := startConfig(t, Config{}, slog.New(said))
	base := "http://" + srv.URLHost()
	c := &http.Client{Timeout: 10 * time.Second}

	var shows struct{ Shows []struct{ ID string } }
	if code, body := statusOf(t, c, "GET", base+"/api/shows"); code != 200 || json.Unmarshal([]byte(body), &shows) != nil || len(shows.Shows) == 0 {
		t.Fatalf("shows: %d %s", code, body)
	}
	show := shows.Shows[0].ID
	if code, _ := statusOf(t, c, "GET", base+"/readyz"); code != 200 {
		t.Fatalf("/readyz before the signal: %d", code)
	}

	hurry, cutShort := context.WithCancel(context.Background())
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		srv.Drain(hurry, time.Hour)
	}()
	select {
	case <-said.seen:
	case <-drained:
		t.Fatal("Drain returned before its delay and before being cut short")
	case <-time.After(10 * time.Second):
		t.Fatal("Drain never said it was draining")
	}

	code, body := statusOf(t, c, "GET", base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"/problems/unavailable"`) {
		t.Errorf("/readyz while draining: %d %s; want 503 with the unavailable problem", code, body)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/healthz"},
		{"GET", "/shows/" + show},
		{"GET", "/api/shows/" + show},
		{"PUT", "/api/shows/" + show + "/seats/A1"},
	} {
		if code, body := statusOf(t, c, r.method, base+r.path); code != 200 {
			t.Errorf("%s %s while draining: %d %s; want 200", r.method, r.path, code, body)
		}
	}
	select {
	case <-drained:
		t.Fatal("Drain returned while neither its delay had passed nor a second signal come")
	default:
	}

	cutShort()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not cut the delay short")
	}
	if err := srv.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

// Without a second signal the delay runs out by itself.
func TestDrainEndsAfterTheDelay(t *testing.T) {
	srv := startConfig(t, Config{}, nil)
	defer srv.Shutdown()
	done := make(chan struct{})
	go func() { srv.Drain(context.Background(), time.Millisecond); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Drain outlived its delay")
	}
}

func TestConfigShutdownDelay(t *testing.T) {
	c, err := ParseConfig(nil, getenv(nil), io.Discard)
	if err != nil || c.ShutdownDelay != 0 {
		t.Errorf("default shutdown delay %v (%v); want 0: no delay unless asked", c.ShutdownDelay, err)
	}
	env := getenv(map[string]string{"BOXOFFICE_SHUTDOWN_DELAY": "15s"})
	if c, err = ParseConfig(nil, env, io.Discard); err != nil || c.ShutdownDelay != 15*time.Second {
		t.Errorf("BOXOFFICE_SHUTDOWN_DELAY=15s: %v (%v)", c.ShutdownDelay, err)
	}
	if c, err = ParseConfig([]string{"--shutdown-delay", "5s"}, env, io.Discard); err != nil || c.ShutdownDelay != 5*time.Second {
		t.Errorf("--shutdown-delay 5s over the environment: %v (%v)", c.ShutdownDelay, err)
	}
	for _, bad := range [][]string{{"--shutdown-delay", "-1s"}, {"--shutdown-delay", "soon"}} {
		if _, err := ParseConfig(bad, getenv(nil), io.Discard); err == nil {
			t.Errorf("ParseConfig(%v) accepted it", bad)
		}
	}
}
