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

// serveWith starts the real binary on a new SQLite database with extra
// flags and waits until it listens.
func serveWith(t *testing.T, flags ...string) *testbin.Process {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "log.db")}, flags...)
	cmd := exec.Command(testbin.Build(t, "../cmd/boxoffice"), args...)
	cmd.Env = testbin.Env()
	return testbin.Serve(t, cmd)
}

// ask sends one request and returns its status and request id.
func ask(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Request-Id")
}

// A WARN line is out as soon as it is logged, with the INFO lines before
// it: the process killed with SIGKILL the moment the client has its answer
// still leaves it in its stderr. The warning is the write-rate limit's,
// logged by the handler before the 429 is sent.
func TestWarnLineSurvivesSIGKILL(t *testing.T) {
	p := serveWith(t, "--write-rate", "0.001", "--write-burst", "1")
	var list struct{ Shows []struct{ ID string } }
	getJSON(t, &http.Client{Timeout: 10 * time.Second}, p.Base+"/api/shows", &list)
	seat := p.Base + "/api/shows/" + list.Shows[0].ID + "/seats/A1"
	first, firstID := ask(t, http.MethodPut, seat)
	if first == http.StatusTooManyRequests {
		t.Fatal("the first write was refused: the bucket holds one")
	}
	if second, _ := ask(t, http.MethodPut, seat); second != http.StatusTooManyRequests {
		t.Fatalf("the second write: %d, want 429", second)
	}
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.Wait()
	logs := p.Logs()
	warned := strings.Index(logs, `level=WARN msg="client is over a limit`)
	before := strings.Index(logs, "msg=request id="+firstID+" ")
	switch {
	case warned < 0:
		t.Errorf("the WARN line logged before the 429 was lost to SIGKILL:\n%s", logs)
	case before < 0 || before > warned:
		t.Errorf("the first write's access line is not out before the WARN line that followed it:\n%s", logs)
	}
	if !strings.Contains(logs, "status=429") {
		t.Log("as documented, the 429's own access line, still in its batch, was lost to SIGKILL")
	}
}

// --access-log errors reaches the handler through the command; and the
// command writes out what waits as it ends, down to its last line.
func TestAccessLogFlagAndLastLines(t *testing.T) {
	p := serveWith(t, "--access-log", "errors")
	ok, okID := ask(t, http.MethodGet, p.Base+"/api/shows")
	missing, missingID := ask(t, http.MethodGet, p.Base+"/api/shows/no-such-show")
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
	if !strings.HasSuffix(logs, "msg=stopped\n") {
		t.Errorf("the last line is not the shutdown's last:\n%s", logs)
	}
}
