package main_test

import (
	"debug/buildinfo"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// With --shutdown-delay, SIGTERM first takes the instance out of the
// balancer (/readyz 503) while guests who still reach it are served; a second
// signal ends the wait at once and the server stops cleanly.
func TestShutdownDelayThenSecondSignal(t *testing.T) {
	p := start(t, filepath.Join(t.TempDir(), "boxoffice.db"), "--shutdown-delay", "10m")
	show := firstShow(t, p.Base)
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Nothing outside the process tells when it has begun draining but
	// /readyz itself, which is what a balancer polls too.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.Base + "/readyz")
		if err != nil {
			t.Fatalf("/readyz after SIGTERM: %v (the server stopped serving during its delay)\n%s", err, p.Logs())
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answers %d 10 s after SIGTERM", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{"/healthz", "/shows/" + show, "/api/shows/" + show} {
		resp, err := http.Get(p.Base + path)
		if err != nil {
			t.Fatalf("%s while draining: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s while draining: %d; want 200", path, resp.StatusCode)
		}
	}
	if err := p.Cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
		if err := p.Wait(); err != nil {
			t.Errorf("after the second signal: %v\n%s", err, p.Logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("a second signal did not cut the 10 minute delay short\n%s", p.Logs())
	}
	if l := p.Logs(); !strings.Contains(l, "draining cut short") || !strings.Contains(l, "msg=stopped") {
		t.Errorf("the log does not tell the delay was cut short and the server stopped:\n%s", l)
	}
}

// boxoffice version and --version print the build the binary carries, and
// say plainly when it carries no revision.
func TestVersion(t *testing.T) {
	info, err := buildinfo.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	var revision string
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	want := "revision: unknown: built without version control information"
	if revision != "" {
		want = "revision: " + revision
	}
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(binary(t), arg).Output()
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if !strings.HasPrefix(string(out), "boxoffice "+info.Main.Version+"\n") || !strings.Contains(string(out), want) {
			t.Errorf("%s printed\n%s\nwant version %s and %q", arg, out, info.Main.Version, want)
		}
	}
}

// A failed healthcheck exits 1 with one line on stderr, as a container
// runtime records it.
func TestHealthcheckExitCode(t *testing.T) {
	p := start(t, filepath.Join(t.TempDir(), "boxoffice.db"))
	addr := strings.TrimPrefix(p.Base, "http://")
	if out, err := exec.Command(binary(t), "healthcheck", "--addr", addr).CombinedOutput(); err != nil {
		t.Errorf("healthcheck against a ready server: %v\n%s", err, out)
	}
	out, err := exec.Command(binary(t), "healthcheck", "--addr", "127.0.0.1:1").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("healthcheck against nothing: %v; want exit status 1", err)
	}
	if s := strings.TrimSpace(string(out)); !strings.HasPrefix(s, "boxoffice: healthcheck: ") || strings.Contains(s, "\n") {
		t.Errorf("healthcheck against nothing printed %q; want one line", out)
	}
}
