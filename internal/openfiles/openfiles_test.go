//go:build unix

package openfiles

import (
	"runtime"
	"syscall"
	"testing"
)

// The limit read is the soft limit, which the Go runtime has lifted to the
// hard one (or one less, so that it can tell when another process changed
// it): what lets the server and the load tool leave raising it to the
// runtime. On Darwin the runtime stops at the kernel's per-process maximum,
// so there it is only at most the hard limit.
func TestLimitIsTheHardLimit(t *testing.T) {
	n, err := Limit()
	if err != nil {
		t.Fatal(err)
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	hard := uint64(l.Max)
	switch {
	case n == 0 || n > hard:
		t.Errorf("Limit = %d, want more than 0 and at most the hard limit %d", n, hard)
	case runtime.GOOS == "linux" && n < hard-1:
		t.Errorf("Limit = %d, want the hard limit %d or one less: the runtime did not lift the soft limit", n, hard)
	}
}
