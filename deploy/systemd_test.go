package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"boxoffice/internal/testbin"
)

// maxExposure is the highest `systemd-analyze security` exposure the unit
// may score (0 is fully locked down, 10 fully exposed; up to 1.9 is "OK").
// The README reports the figure measured: 1.2 with systemd 252.
const maxExposure = 1.5

// unitCopy is deploy/boxoffice.service with ExecStart pointing at the built
// binary, in a directory of its own: systemd-analyze checks that the command
// exists.
func unitCopy(t *testing.T) string {
	t.Helper()
	unit, err := os.ReadFile("boxoffice.service")
	if err != nil {
		t.Fatal(err)
	}
	const exec = "ExecStart=/usr/local/bin/boxoffice "
	if !strings.Contains(string(unit), "\n"+exec) {
		t.Fatalf("boxoffice.service has no line %q", exec)
	}
	bin := testbin.Build(t, "../cmd/boxoffice")
	copied := strings.Replace(string(unit), "\n"+exec, "\nExecStart="+bin+" ", 1)
	path := filepath.Join(t.TempDir(), "boxoffice.service")
	if err := os.WriteFile(path, []byte(copied), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The unit parses, every directive is known to systemd, and its command
// exists: `systemd-analyze verify` says nothing and exits 0.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := need(t, "systemd-analyze")
	path := unitCopy(t)
	cmd := exec.Command(analyze, "verify", filepath.Base(path))
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify boxoffice.service: %v\n%s", err, out)
	}
}

var exposure = regexp.MustCompile(`Overall exposure level for boxoffice\.service: ([0-9.]+) (\S+)`)

// The sandbox holds: systemd's own score of what the service could reach
// stays at or under maxExposure.
func TestSystemdUnitSandbox(t *testing.T) {
	analyze := need(t, "systemd-analyze")
	path := unitCopy(t)
	cmd := exec.Command(analyze, "security", "--offline=true", filepath.Base(path))
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=true boxoffice.service: %v\n%s", err, out)
	}
	m := exposure.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in systemd-analyze's output:\n%s", out)
	}
	level, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exposure level %.1f %s", level, m[2])
	if level > maxExposure {
		t.Errorf("exposure level %.1f %s; want at most %.1f. What systemd-analyze holds against the unit:\n%s",
			level, m[2], maxExposure, failing(out))
	}
}

// failing is the lines of systemd-analyze security's table that cost
// exposure.
func failing(out []byte) string {
	var b strings.Builder
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "✗") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
