package main_test

import (
	"boxoffice/internal/testbin"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// The binary that binary builds is removed when the tests end.
func TestMain(m *testing.M) { testbin.Main(m) }

// binary builds the real boxoffice-load command once for all tests.
func binary(t *testing.T) string { return testbin.Build(t, ".") }

// run runs the command and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary(t), append(args, "--progress", "off")...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

func TestBadFlagExitsNonZero(t *testing.T) {
	code, _, stderr := run(t, "--scenario", "stampede")
	if code != 1 || !strings.Contains(stderr, `--scenario "stampede"`) {
		t.Errorf("exit %d, stderr %q; want 1 and the flag named", code, stderr)
	}
}

func TestUnreachableServerExitsNonZero(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	code, _, stderr := run(t, "--target", srv.URL, "--duration", "1s")
	if code != 1 || !strings.Contains(stderr, "cannot drive") {
		t.Errorf("exit %d, stderr %q; want 1 and a message that it cannot drive the server", code, stderr)
	}
}

func TestARunInProcessPassesItsCheck(t *testing.T) {
	code, stdout, stderr := run(t, "--scenario", "spread", "--guests", "2", "--seats", "10", "--duration", "500ms")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"baseline", "book", "release", "limited", "limits: off", "invariant check", "no violation"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout)
		}
	}
}

// TestViolationExitsNonZero drives a broken server that acknowledges
// bookings and forgets them.
func TestViolationExitsNonZero(t *testing.T) {
	var version atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/shows", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"shows":[{"id":"s","open":true,"capacity":1}]}`)
	})
	mux.HandleFunc("GET /api/shows/s", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":"s","version":%d,"seats":[{"id":"A1","row":"A","number":1,"status":"free"}]}`, version.Load())
	})
	mux.HandleFunc("PUT /api/shows/s/seats/A1", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"version":%d}`, version.Add(1))
	})
	mux.HandleFunc("DELETE /api/shows/s/seats/A1", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	code, stdout, stderr := run(t, "--target", srv.URL, "--guests", "1", "--duration", "200ms")
	if code != 1 || !strings.Contains(stdout, "VIOLATIONS") || !strings.Contains(stdout, "vanished") {
		t.Errorf("exit %d; want 1 and the violations printed\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
