package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// healthcheck runs boxoffice healthcheck with args and env as Run does.
func healthcheck(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(t.Context(), append([]string{"healthcheck"}, args...), getenv(env), strings.NewReader(""), &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// The container's HEALTHCHECK: healthy exactly while the server is ready;
// the reason for a failure fits on one line, as docker inspect and podman
// healthcheck run show it.
func TestHealthcheck(t *testing.T) {
	srv := startConfig(t, Config{}, nil)
	addr := srv.Addr().String()
	if out, err := healthcheck(t, nil, "--addr", addr); err != nil {
		t.Errorf("against a ready server: %v %s", err, out)
	}
	// BOXOFFICE_ADDR as the server reads it, with its wildcard host.
	port := addr[strings.LastIndex(addr, ":"):]
	if out, err := healthcheck(t, map[string]string{"BOXOFFICE_ADDR": port}); err != nil {
		t.Errorf("BOXOFFICE_ADDR=%s: %v %s", port, err, out)
	}

	// Draining answers 503: unhealthy, so that the platform sees it go.
	srv.web.Drain()
	_, err := healthcheck(t, nil, "--addr", addr)
	if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "\n") {
		t.Errorf("against a draining server: %v; want one line naming the 503", err)
	}
	if err := srv.Shutdown(); err != nil {
		t.Fatal(err)
	}
	_, err = healthcheck(t, nil, "--addr", addr)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("against a stopped server: %v; want one line", err)
	}
}

// A server that accepts but never answers is unhealthy after --timeout, not
// a hung check that piles up beside the next.
func TestHealthcheckTimesOut(t *testing.T) {
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stuck.Close()
	start := time.Now()
	_, err := healthcheck(t, nil, "--addr", stuck.Listener.Addr().String(), "--timeout", "100ms")
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("against a server that never answers: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v with --timeout 100ms", took)
	}
}

// Any answer but 200 is unhealthy: a redirect is not followed to a page
// that answers.
func TestHealthcheckWants200(t *testing.T) {
	for _, code := range []int{http.StatusNoContent, http.StatusFound, http.StatusNotFound, http.StatusInternalServerError} {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/readyz" {
				w.WriteHeader(http.StatusOK)
				return
			}
			if code == http.StatusFound {
				http.Redirect(w, r, "/elsewhere", code)
				return
			}
			w.WriteHeader(code)
		}))
		if _, err := healthcheck(t, nil, "--addr", s.Listener.Addr().String()); err == nil {
			t.Errorf("/readyz answering %d passed", code)
		}
		s.Close()
	}
}

func TestReadyURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/readyz",
		"[::]:8080":      "http://127.0.0.1:8080/readyz",
		"127.0.0.1:9000": "http://127.0.0.1:9000/readyz",
		"[::1]:9000":     "http://[::1]:9000/readyz",
		"localhost:80":   "http://localhost:80/readyz",
	} {
		if got, err := readyURL(addr); err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, bad := range []string{"8080", "", "localhost"} {
		if got, err := readyURL(bad); err == nil {
			t.Errorf("readyURL(%q) = %q; want an error", bad, got)
		}
	}
}

func TestHealthcheckRefusesArguments(t *testing.T) {
	if _, err := healthcheck(t, nil, "--addr", "127.0.0.1:1", "extra"); err == nil {
		t.Error("an extra argument was ignored")
	}
	if _, err := healthcheck(t, nil, "--no-such-flag"); err == nil {
		t.Error("an unknown flag was ignored")
	}
}
