package deploy_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"boxoffice/internal/testbin"
)

// need returns the path of an installed tool, skipping the test without it,
// or failing it under CI=true, where every deployment test must run.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must run this test (.ci/run installs it)", tool)
		}
		t.Skipf("%s is not installed: %v", tool, err)
	}
	return path
}

// freePort is a TCP port on 127.0.0.1 free a moment ago. An instance keeps
// its port across a restart, so it cannot listen on :0.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// instance is one `boxoffice serve` process on a fixed port.
type instance struct {
	*testbin.Process
	addr string // 127.0.0.1:port, also nginx's name for it in $upstream_addr
	args []string
}

// startInstance runs the real binary on addr with db, trusting 127.0.0.1
// (nginx) as its proxy and otherwise with its default limits, and waits until
// it is ready.
func startInstance(t *testing.T, db, addr string) *instance {
	t.Helper()
	in := &instance{addr: addr, args: []string{"serve", "--addr", addr, "--db", db,
		"--trusted-proxies", "127.0.0.1", "--demo=true"}}
	in.start(t)
	return in
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(testbin.Build(t, "../cmd/boxoffice"), in.args...)
	cmd.Env = testbin.Env()
	in.Process = testbin.Serve(t, cmd)
	resp, err := http.Get(in.Base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("boxoffice on %s: /readyz answered %s", in.addr, resp.Status)
	}
}

// kill ends the instance with SIGKILL, as a crash would, and waits for it.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	if err := in.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = in.Wait()
}

// editLine marks the lines of deploy/nginx.conf that an operator (and this
// test) fills in.
var editLine = regexp.MustCompile(`^(\s*(?:server|listen)\s+)([^\s;]+)(.*#\s*edit\b.*)$`)

// fillNginxConf is deploy/nginx.conf with its upstream servers and its listen
// address replaced, in order, by upstreams and listen; every other line,
// max_fails and fail_timeout included, as committed.
func fillNginxConf(t *testing.T, upstreams []string, listen string) string {
	t.Helper()
	conf, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(conf), "\n")
	servers, listens := 0, 0
	for i, line := range lines {
		m := editLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch strings.TrimSpace(m[1]) {
		case "server":
			if servers < len(upstreams) {
				lines[i] = m[1] + upstreams[servers] + m[3]
			}
			servers++
		case "listen":
			lines[i] = m[1] + listen + m[3]
			listens++
		}
	}
	if servers != len(upstreams) || listens != 1 {
		t.Fatalf("deploy/nginx.conf has %d upstream server lines and %d listen lines marked \"# edit\"; want %d and 1",
			servers, listens, len(upstreams))
	}
	return strings.Join(lines, "\n")
}

// startNginx runs Debian's nginx with deploy/nginx.conf (filled in) as its
// only site, in front of upstreams, and returns the address it listens on.
//
// The main config adds one thing around the include: a response header
// naming the instance that answered ($upstream_addr), so that the test knows
// which instance served what without boxoffice changing for it. add_header at
// the http level reaches every location of the included server because
// deploy/nginx.conf sets none of its own (nginx inherits add_header only into
// blocks that have none).
func startNginx(t *testing.T, upstreams []string) string {
	t.Helper()
	bin := need(t, "nginx")
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := filepath.Join(dir, "boxoffice.conf")
	if err := os.WriteFile(site, []byte(fillNginxConf(t, upstreams, listen)), 0o644); err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		// As root nginx would run its workers as nobody, who cannot enter
		// the test's private temporary directory.
		user = "user root;\n"
	}
	main := fmt.Sprintf(`%[2]spid %[1]s/nginx.pid;
error_log stderr notice;
events {}
http {
	access_log off;
	client_body_temp_path %[1]s/client_body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	add_header X-Test-Upstream $upstream_addr always;
	include %[3]s;
}
`, dir, user, site)
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", mainPath, "-e", "stderr", "-g", "daemon off;")
	p := testbin.Start(t, cmd)
	t.Cleanup(func() {
		// SIGTERM: the master stops its workers; SIGKILL would orphan them.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.Exited():
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("nginx did not stop within 10s of SIGTERM\n%s", p.Logs())
		}
	})
	// The master binds the listening socket before it starts its workers.
	p.AwaitLine(t, regexp.MustCompile(`start worker process`), "nginx")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nginx's log:\n%s", p.Logs())
		}
	})
	return listen
}
