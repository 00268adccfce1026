// Package testbin builds a command of this module once per test binary, for
// end-to-end tests that run it as a real process, and removes what it built
// when the package's tests end; Start and Serve run such a process and wait
// for what it logs. A package that uses Build runs its tests through Main:
//
//	func TestMain(m *testing.M) { testbin.Main(m) }
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	inMain bool                  // Main is running the tests, so it will clean up
	built  = map[string]result{} // by package directory
)

type result struct {
	path string // in a temporary directory of its own
	err  error
}

// Main runs the tests and then removes every binary Build made for them:
// each is some 15 MB, and the tests' temporary directories cannot hold them
// since several tests share one. Returning from TestMain exits with the
// tests' status, so Main needs no os.Exit.
func Main(m *testing.M) {
	mu.Lock()
	inMain = true
	mu.Unlock()
	defer func() {
		if err := removeBuilt(); err != nil {
			fmt.Fprintln(os.Stderr, "testbin:", err)
		}
	}()
	m.Run()
}

// Build builds the command in dir (a package directory, "." for the test's
// own) the first time it is asked for, and returns the binary's path. It
// fails the test unless Main runs the tests, so that nothing is left behind.
func Build(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("testbin.Build: run the tests with func TestMain(m *testing.M) { testbin.Main(m) }, which removes the binaries at the end")
	}
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
		os.RemoveAll(out)
		return result{err: fmt.Errorf("go build %s: %v\n%s", dir, err, msg)}
	}
	return result{path: path}
}

// removeBuilt removes every binary built, with its directory, and forgets it.
func removeBuilt() error {
	mu.Lock()
	defer mu.Unlock()
	var errs []error
	for dir, r := range built {
		if r.err == nil {
			if err := os.RemoveAll(filepath.Dir(r.path)); err != nil {
				errs = append(errs, err)
			}
		}
		delete(built, dir)
	}
	return errors.Join(errs...)
}
