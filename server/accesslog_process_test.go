package server_test

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"boxoffice/internal/testbin"
)

// --access-log errors reaches the handler through the command: the real
// binary logs the 404's access line and not the 200's.
func TestAccessLogFlag(t *testing.T) {
	cmd := exec.Command(testbin.Build(t, "../cmd/boxoffice"),
		"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "log.db"), "--access-log", "errors")
	cmd.Env = testbin.Env()
	p := testbin.Serve(t, cmd)
	ask := func(url string) (int, string) {
		t.Helper()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Request-Id")
	}
	ok, okID := ask(p.Base + "/api/shows")
	missing, missingID := ask(p.Base + "/api/shows/no-such-show")
	if ok != http.StatusOK || missing != http.StatusNotFound {
		t.Fatalf("statuses %d, %d; want 200, 404", ok, missing)
	}
	stopServer(t, p, syscall.SIGTERM)
	logs := p.Logs()
	if strings.Contains(logs, "id="+okID) {
		t.Errorf("--access-log errors logged the 200:\n%s", logs)
	}
	if !strings.Contains(logs, "msg=request id="+missingID+" ") {
		t.Errorf("--access-log errors did not log the 404:\n%s", logs)
	}
}
