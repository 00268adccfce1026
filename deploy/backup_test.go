package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/testbin"
)

// backupUnits reads the backup service and timer with the binary's path
// put in for /usr/local/bin/boxoffice, as an operator installing them would.
func backupUnits(t *testing.T, binary string) map[string]string {
	t.Helper()
	units := map[string]string{}
	for _, name := range []string{"boxoffice-backup.service", "boxoffice-backup.timer"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		units[name] = strings.ReplaceAll(string(b), "/usr/local/bin/boxoffice", binary)
	}
	return units
}

// The backup service and its timer pass systemd-analyze verify.
func TestBackupUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is not installed; CI must verify the units (.ci/run installs systemd)")
		}
		t.Skip("systemd-analyze is not installed (Debian: systemd)")
	}
	dir := t.TempDir()
	var paths []string
	for name, text := range backupUnits(t, testbin.Build(t, "../cmd/boxoffice")) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, paths...)...).CombinedOutput()
	if err != nil || strings.Contains(string(out), "boxoffice-backup") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The backup service's command line, run by sh as systemd runs it (its %%
// unescaped), writes a new backup of mode 0600 and deletes those over a
// week old, and no other file.
func TestBackupUnitCommand(t *testing.T) {
	binary := testbin.Build(t, "../cmd/boxoffice")
	unit := backupUnits(t, binary)["boxoffice-backup.service"]
	m := regexp.MustCompile(`(?m)^ExecStart=/bin/sh -c '([^']*)'$`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatal("boxoffice-backup.service has no ExecStart=/bin/sh -c '…' line")
	}
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	if err := os.Mkdir(backups, 0o700); err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(strings.ReplaceAll(m[1], "%%", "%"), "/var/lib/boxoffice-backups", backups)
	db := filepath.Join(dir, "boxoffice.db")
	env := append(os.Environ(), "BOXOFFICE_DB="+db)
	if out, err := exec.Command(binary, "migrate", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("boxoffice migrate: %v\n%s", err, out)
	}
	old, keep := filepath.Join(backups, "boxoffice-20000101T000000Z.db"), filepath.Join(backups, "notes.txt")
	for _, f := range []string{old, keep} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		week := time.Now().Add(-8 * 24 * time.Hour)
		if err := os.Chtimes(f, week, week); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -c %q: %v\n%s", script, err, out)
	}
	entries, err := os.ReadDir(backups)
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for _, e := range entries {
		switch name := e.Name(); {
		case name == "notes.txt":
		case regexp.MustCompile(`^boxoffice-\d{8}T\d{6}Z\.db$`).MatchString(name) && name != filepath.Base(old):
			made = append(made, name)
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
			}
		default:
			t.Errorf("after the run the backups directory holds %s", name)
		}
	}
	if len(made) != 1 {
		t.Errorf("the run made %q, want one backup", made)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the run deleted a file that is no backup: %v", err)
	}
}
