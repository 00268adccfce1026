package testbin

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Process is a command a test started, with its standard error kept line by
// line (for boxoffice, its log), so that the test waits for what the process
// says it did rather than for a guessed time.
type Process struct {
	Cmd  *exec.Cmd
	Addr string // where a boxoffice serve listens (Serve), e.g. 127.0.0.1:41234
	Base string // "http://" + Addr

	exited chan struct{} // closed once the process has exited
	err    error         // cmd.Wait's, set before exited is closed

	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed, and replaced, at each line
}

// ReadyWithin bounds every wait for a process to start: a cold build cache
// and a busy CI machine are slow, but a process that has not said it is
// ready by then never will.
const ReadyWithin = 30 * time.Second

// listening is boxoffice's text log line once it accepts connections.
var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// Env is this process's environment without any BOXOFFICE_ variable, so
// that a boxoffice a test runs is configured by the test's flags alone and
// not by whatever the developer's shell exports; extra is appended.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOXOFFICE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Start starts cmd, keeping its standard error, and kills it (and waits for
// it) when the test ends, unless it has exited by then.
func Start(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, exited: make(chan struct{}), more: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// Serve starts cmd, a boxoffice serve with text logs, and waits for the line
// that says where it listens, failing the test if it exits first or takes
// longer than ReadyWithin.
func Serve(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	p := Start(t, cmd)
	p.Addr = p.AwaitLine(t, listening, "boxoffice serve")[1]
	p.Base = "http://" + p.Addr
	return p
}

// AwaitLine waits for a line matching re, logged already or to come, and
// returns its submatches; it fails the test, with the log, if the process
// (named what) exits first or says nothing of the kind within ReadyWithin.
func (p *Process) AwaitLine(t testing.TB, re *regexp.Regexp, what string) []string {
	t.Helper()
	m, exited := p.waitFor(re.FindStringSubmatch, ReadyWithin)
	switch {
	case m != nil:
		return m
	case exited:
		t.Fatalf("%s exited before it was ready: %v\n%s", what, p.err, p.Logs())
	default:
		t.Fatalf("%s was not ready within %v\n%s", what, ReadyWithin, p.Logs())
	}
	return nil
}

// WaitLog reports whether a line containing s is logged within d. A server
// logs a request's line once its answer is out, so the line may follow the
// answer by a moment.
func (p *Process) WaitLog(s string, d time.Duration) bool {
	m, _ := p.waitFor(func(line string) []string {
		if strings.Contains(line, s) {
			return []string{line}
		}
		return nil
	}, d)
	return m != nil
}

// waitFor returns what match finds in the first line it matches, or nil
// when d passes or the process exits (exited) without such a line.
func (p *Process) waitFor(match func(string) []string, d time.Duration) (m []string, exited bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for seen, gone := 0, false; ; {
		p.mu.Lock()
		lines, more := p.lines[seen:], p.more
		seen = len(p.lines)
		p.mu.Unlock()
		for _, line := range lines {
			if m := match(line); m != nil {
				return m, false
			}
		}
		if gone {
			return nil, true
		}
		select {
		case <-more:
		case <-p.exited:
			// One more look: the reader kept every line before Wait.
			gone = true
		case <-deadline.C:
			return nil, false
		}
	}
}

// Logs is what the process has written to its standard error so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lines) == 0 {
		return ""
	}
	return strings.Join(p.lines, "\n") + "\n"
}

// Exited is closed once the process has exited; Wait then returns at once.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to exit and returns what cmd.Wait did.
func (p *Process) Wait() error {
	<-p.exited
	return p.err
}
