// Package testbin builds a command of this module once per test binary, for
// end-to-end tests that run it as a real process.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]result{} // by package directory
)

type result struct {
	path string
	err  error
}

// Build builds the command in dir (a package directory, "." for the test's
// own) the first time it is asked for, and returns the binary's path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	r, ok := built[abs]
	if !ok {
		r = build(abs)
		built[abs] = r
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.path
}

func build(dir string) result {
	out, err := os.MkdirTemp("", "boxoffice-e2e-")
	if err != nil {
		return result{err: err}
	}
	path := filepath.Join(out, filepath.Base(dir))
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return result{err: fmt.Errorf("go build %s: %v\n%s", dir, err, msg)}
	}
	return result{path: path}
}
