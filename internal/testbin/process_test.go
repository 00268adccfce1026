package testbin

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Serve reads the address from the listening line, whatever came before it;
// a line logged later is waited for, and one logged just before the process
// exits is still found after it has.
func TestServeThenWaitLog(t *testing.T) {
	cmd := exec.Command("sh", "-c", `
echo 'level=INFO msg=starting' >&2
echo 'level=INFO msg=listening addr=127.0.0.1:12345' >&2
read line
echo "level=INFO msg=$line" >&2
exit 3`)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := Serve(t, cmd)
	if p.Addr != "127.0.0.1:12345" || p.Base != "http://127.0.0.1:12345" {
		t.Errorf("Addr %q, Base %q; want the listening line's address", p.Addr, p.Base)
	}
	if p.WaitLog("goodbye", time.Millisecond) {
		t.Error("WaitLog found a line not yet written")
	}
	if _, err := stdin.Write([]byte("goodbye\n")); err != nil {
		t.Fatal(err)
	}
	if !p.WaitLog("msg=goodbye", ReadyWithin) {
		t.Errorf("WaitLog missed the line written after it began; logs:\n%s", p.Logs())
	}
	select {
	case <-p.Exited():
	case <-time.After(ReadyWithin):
		t.Fatal("the process did not exit")
	}
	if err, ok := p.Wait().(*exec.ExitError); !ok || err.ExitCode() != 3 {
		t.Errorf("Wait: %v; want exit status 3", p.Wait())
	}
	if !p.WaitLog("msg=starting", time.Millisecond) || !strings.HasSuffix(p.Logs(), "msg=goodbye\n") {
		t.Errorf("after the exit the logs lack a line:\n%s", p.Logs())
	}
}

// Env leaves out the developer's BOXOFFICE_ settings and keeps the rest.
func TestEnvDropsBoxofficeSettings(t *testing.T) {
	t.Setenv("BOXOFFICE_ADMIN_TOKEN", "from-the-shell")
	t.Setenv("TESTBIN_KEPT", "yes")
	env := Env("BOXOFFICE_DB=x.db")
	joined := "\n" + strings.Join(env, "\n") + "\n"
	if strings.Contains(joined, "BOXOFFICE_ADMIN_TOKEN") || !strings.Contains(joined, "\nTESTBIN_KEPT=yes\n") || !strings.HasSuffix(joined, "\nBOXOFFICE_DB=x.db\n") {
		t.Errorf("Env: %q", env)
	}
}
