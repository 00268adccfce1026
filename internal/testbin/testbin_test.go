package testbin

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// A command is built once however many tests ask for it, runs, and is gone
// with its directory once the tests are done (what Main does after m.Run).
func TestBuildOnceThenRemove(t *testing.T) {
	path := Build(t, "testdata/hello")
	if again := Build(t, "testdata/hello"); again != path {
		t.Errorf("built twice: %s, then %s", path, again)
	}
	out, err := exec.Command(path).Output()
	if err != nil || strings.TrimSpace(string(out)) != "hello" {
		t.Fatalf("running the binary: %q, %v", out, err)
	}
	if err := removeBuilt(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the tests, %s is still there (%v)", filepath.Dir(path), err)
	}
}
