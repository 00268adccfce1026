package load

import (
	"boxoffice/postgres/pgtest"
	"boxoffice/server"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// noEnv is an empty environment, so that the tests do not depend on the
// caller's.
func noEnv(string) string { return "" }

// runJSON runs the tool with args and --json, in an empty environment, and
// decodes its report.
func runJSON(t *testing.T, args ...string) (Report, error) {
	t.Helper()
	return runJSONEnv(t, noEnv, args...)
}

// runJSONEnv is runJSON with the environment getenv reads.
func runJSONEnv(t *testing.T, getenv func(string) string, args ...string) (Report, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := Run(t.Context(), append(args, "--json", "--progress", "off"), getenv, &out, &errOut)
	var rep Report
	if out.Len() > 0 {
		if jerr := json.Unmarshal([]byte(out.String()), &rep); jerr != nil {
			t.Fatalf("the --json report does not decode: %v\n%s", jerr, out.String())
		}
	}
	if errOut.Len() > 0 {
		t.Logf("stderr:\n%s", errOut.String())
	}
	return rep, err
}

func row(rep Report, name string) (Row, bool) {
	for _, r := range rep.Rows {
		if r.Name == name {
			return r, true
		}
	}
	return Row{}, false
}

// TestSmoke runs every scenario briefly against a server in process on a
// fresh SQLite database, with the invariant check on: the tool itself keeps
// working, and the server keeps the booking rules under concurrent guests.
func TestSmoke(t *testing.T) {
	tests := []struct {
		scenario string
		args     []string
		rows     []string // each must have successes
		checked  bool     // the invariant check ran
	}{
		{"hot", []string{"--guests", "6", "--turn", "250ms"}, []string{opBook, opRelease}, true},
		{"spread", []string{"--guests", "6", "--seats", "30", "--readers", "2"}, []string{opBook, opRelease, opReaderGET}, true},
		{"groups", []string{"--guests", "4", "--seats", "40"}, []string{opGroupBook, opRelease}, true},
		{"read", []string{"--guests", "4"}, []string{opShowJSON, opPage}, false},
		{"watch", []string{"--guests", "2", "--watchers", "20", "--rate", "40"}, []string{opBook, opDelivery}, true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			rep, err := runJSON(t, append([]string{"--scenario", tt.scenario, "--duration", "1s"}, tt.args...)...)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if rep.Baseline.OK == 0 {
				t.Errorf("the baseline answered nothing: %+v", rep.Baseline)
			}
			for _, name := range tt.rows {
				r, ok := row(rep, name)
				if !ok || r.OK == 0 {
					t.Errorf("row %q has no successes (rows: %+v)", name, rep.Rows)
				}
				if r.Errors > 0 {
					t.Errorf("row %q: %d errors", name, r.Errors)
				}
			}
			if tt.checked {
				if rep.Invariant == nil || rep.Invariant.Operations == 0 {
					t.Fatalf("the invariant check did not run: %+v", rep.Invariant)
				}
				if len(rep.Invariant.Violations) > 0 {
					t.Errorf("violations: %q", rep.Invariant.Violations)
				}
			}
			if tt.checked {
				// The server's own count of the writes it committed, from
				// its /metrics, matches the tool's.
				var writes int64
				for _, name := range []string{opBook, opRelease, opGroupBook} {
					if r, ok := row(rep, name); ok {
						writes += r.Ops
					}
				}
				if c := rep.Commits; c == nil || c.Batches < 1 || c.Operations != float64(writes) || c.PerBatch < 1 || c.Busy <= 0 {
					t.Errorf("server commits = %+v, want the %d writes the tool sent in one batch or more", rep.Commits, writes)
				}
			}
			if tt.scenario == ScenarioWatch {
				if w := rep.Watch; w == nil || w.Connected != 20 || w.Gaps != 0 || w.Events == 0 {
					t.Errorf("watch stats = %+v, want 20 watchers connected, events, no gaps", rep.Watch)
				}
			}
			if rep.RSSMB <= 0 {
				t.Errorf("in process, the report has no RSS")
			}
		})
	}
}

func TestUnreachableServerFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, err := runJSON(t, "--target", url, "--duration", "1s", "--guests", "1")
	if err == nil || !strings.Contains(err.Error(), "cannot drive") {
		t.Errorf("err = %v, want it to say it cannot drive the server", err)
	}
}

// forgetful is a broken server: it acknowledges bookings and forgets them, so
// every seat reads free and releases are refused as someone else's.
func forgetful() http.Handler {
	var version atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/shows", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"shows":[{"id":"s","open":true,"capacity":2}]}`)
	})
	mux.HandleFunc("GET /api/shows/s", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":"s","version":%d,"seats":[{"id":"A1","row":"A","number":1,"status":"free"},{"id":"A2","row":"A","number":2,"status":"free"}]}`, version.Load())
	})
	mux.HandleFunc("PUT /api/shows/s/seats/{seat}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"version":%d}`, version.Add(1))
	})
	mux.HandleFunc("DELETE /api/shows/s/seats/{seat}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	})
	return mux
}

func TestViolationsFailTheRun(t *testing.T) {
	srv := httptest.NewServer(forgetful())
	defer srv.Close()
	rep, err := runJSON(t, "--target", srv.URL, "--duration", "200ms", "--guests", "2", "--scenario", "spread")
	if !errors.Is(err, ErrViolations) {
		t.Fatalf("err = %v, want ErrViolations", err)
	}
	if rep.Invariant == nil || len(rep.Invariant.Violations) == 0 {
		t.Fatalf("the report lists no violation: %+v", rep.Invariant)
	}
	if !strings.Contains(strings.Join(rep.Invariant.Violations, "\n"), "vanished") {
		t.Errorf("violations = %q, want a vanished booking", rep.Invariant.Violations)
	}
}

// The same tool on PostgreSQL: a fresh database on the test server, the
// invariant check on, and the database gone afterwards.
func TestSmokePostgres(t *testing.T) {
	server := pgtest.Server(t)
	rep, err := runJSON(t, "--db", server, "--scenario", "spread", "--guests", "8", "--seats", "30", "--duration", "1s")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rep.Invariant == nil || rep.Invariant.Operations == 0 || len(rep.Invariant.Violations) > 0 {
		t.Errorf("invariant check: %+v", rep.Invariant)
	}
	for _, name := range []string{opBook, opRelease} {
		if r, ok := row(rep, name); !ok || r.OK == 0 || r.Errors > 0 {
			t.Errorf("row %q: %+v", name, r)
		}
	}
	conn := pgtest.Connect(t, server)
	var left int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname LIKE 'boxoffice_load_%'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d load databases left on the server", left)
	}
}

// --cpuprofile leaves a profile that go tool pprof reads: gzip-compressed
// protobuf, not empty.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	if _, err := runJSON(t, "--scenario", "hot", "--guests", "2", "--duration", "300ms", "--cpuprofile", path); err != nil {
		t.Fatalf("run: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("the profile is not gzip-compressed as pprof writes it: %v", err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n == 0 {
		t.Errorf("the profile holds %d bytes (%v), want a profile", n, err)
	}
}

// A server whose /metrics wants a token gets it from BOXOFFICE_METRICS_TOKEN;
// without it the run goes on, and the report says why it has no commit
// figures.
func TestMetricsToken(t *testing.T) {
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "t.db"),
		Demo: true, Location: time.UTC, MetricsToken: "s3cret"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	args := []string{"--target", "http://" + srv.URLHost(), "--scenario", "hot", "--guests", "2", "--duration", "300ms"}

	rep, err := runJSON(t, args...)
	if err != nil {
		t.Fatalf("run without the token: %v", err)
	}
	if rep.Commits != nil || !strings.Contains(strings.Join(rep.Notes, "\n"), "BOXOFFICE_METRICS_TOKEN") {
		t.Errorf("without the token: commits %+v, notes %q; want no figures and a note naming the variable", rep.Commits, rep.Notes)
	}

	withToken := func(name string) string {
		if name == "BOXOFFICE_METRICS_TOKEN" {
			return "s3cret"
		}
		return ""
	}
	if rep, err = runJSONEnv(t, withToken, args...); err != nil {
		t.Fatalf("run with the token: %v", err)
	}
	if rep.Commits == nil || rep.Commits.Batches < 1 {
		t.Errorf("with the token: commits %+v, want the server's figures", rep.Commits)
	}
}

// A server that serves its metrics on a separate listener (--metrics-addr)
// answers 404 for /metrics on its public address: the report says to give
// --metrics-url, and with it (and the token) has the commit figures.
func TestMetricsURL(t *testing.T) {
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "t.db"),
		Demo: true, Location: time.UTC, MetricsToken: "s3cret"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	// The public address: everything but /metrics.
	backend := &url.URL{Scheme: "http", Host: srv.URLHost()}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer public.Close()
	withToken := func(name string) string {
		if name == "BOXOFFICE_METRICS_TOKEN" {
			return "s3cret"
		}
		return ""
	}
	args := []string{"--target", public.URL, "--scenario", "hot", "--guests", "2", "--duration", "300ms"}

	rep, err := runJSONEnv(t, withToken, args...)
	if err != nil {
		t.Fatalf("run without --metrics-url: %v", err)
	}
	if rep.Commits != nil || !strings.Contains(strings.Join(rep.Notes, "\n"), "--metrics-url") {
		t.Errorf("without --metrics-url: commits %+v, notes %q; want no figures and a note naming --metrics-url", rep.Commits, rep.Notes)
	}

	rep, err = runJSONEnv(t, withToken, append(args, "--metrics-url", backend.String()+"/metrics")...)
	if err != nil {
		t.Fatalf("run with --metrics-url: %v", err)
	}
	if rep.Commits == nil || rep.Commits.Batches < 1 {
		t.Errorf("with --metrics-url: commits %+v, notes %q; want the server's figures", rep.Commits, rep.Notes)
	}
}

// --limits starts the server in process with the defaults of its flags, not
// those of the tool's own environment, and the report says which it did.
func TestLimitsInProcess(t *testing.T) {
	// Read, this would stop the server's flag parsing.
	t.Setenv("BOXOFFICE_LOG_LEVEL", "loud")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "off"},
		{[]string{"--limits"}, "on (defaults)"},
	} {
		rep, err := runJSON(t, append([]string{"--scenario", "hot", "--guests", "2", "--duration", "300ms"}, tc.args...)...)
		if err != nil {
			t.Fatalf("run %q: %v", tc.args, err)
		}
		if rep.Limits != tc.want {
			t.Errorf("run %q: limits %q, want %q", tc.args, rep.Limits, tc.want)
		}
	}
}
