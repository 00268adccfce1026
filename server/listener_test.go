package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"boxoffice/forwarded"
)

// dialFrom connects to addr from the loopback address src (Linux routes all
// of 127.0.0.0/8 to loopback), so that one test plays many clients.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialing from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer tells whether the server closed c: a read ends at once
// with EOF or a reset rather than waiting for bytes that never come.
func closedByServer(c net.Conn, wait time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

type countingLimited struct{ n atomic.Int64 }

func (c *countingLimited) limited(what string) {
	if what == "conns_per_client" {
		c.n.Add(1)
	}
}

// acceptAll accepts from l until it closes, handing each connection on.
func acceptAll(t *testing.T, l net.Listener) <-chan net.Conn {
	accepted := make(chan net.Conn, 100)
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() { l.Close() })
	return accepted
}

// next is the next accepted connection; it fails the test if none comes.
func next(t *testing.T, accepted <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-accepted:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted in 10s")
		return nil
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Over its cap an address's new connections are closed before anything is
// read from them, other addresses are not affected, and a closed connection
// gives its slot back.
func TestListenerCapsConnectionsPerAddress(t *testing.T) {
	var logs bytes.Buffer
	var refused countingLimited
	l := newListener(listen(t), slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)), 2, nil, refused.limited)
	accepted := acceptAll(t, l)
	addr := l.Addr().String()

	first := []net.Conn{dialFrom(t, "127.0.0.2", addr), dialFrom(t, "127.0.0.2", addr)}
	var held []net.Conn
	for range 2 {
		held = append(held, next(t, accepted))
	}
	var excess []net.Conn
	for range 5 {
		excess = append(excess, dialFrom(t, "127.0.0.2", addr))
	}
	other := dialFrom(t, "127.0.0.3", addr)
	// The other address's connection is accepted after the five refused,
	// so once it is here they have been dealt with.
	if c := next(t, accepted); c.RemoteAddr().(*net.TCPAddr).IP.String() != "127.0.0.3" {
		t.Fatalf("accepted %v past the cap of 2", c.RemoteAddr())
	}
	for i, c := range excess {
		if !closedByServer(c, 5*time.Second) {
			t.Errorf("connection %d over the cap was not closed", i+1)
		}
	}
	if got := refused.n.Load(); got != 5 {
		t.Errorf("%d refusals counted, want 5", got)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "client=127.0.0.2 ") {
		t.Errorf("logged %d warnings, want one naming the address:\n%s", n, logs.String())
	}
	for _, c := range first {
		if closedByServer(c, 50*time.Millisecond) {
			t.Error("a connection within the cap was closed")
		}
	}
	if closedByServer(other, 50*time.Millisecond) {
		t.Error("another address's connection was closed")
	}

	// Closing one, twice and from two sides, frees exactly one slot.
	held[0].Close()
	held[0].Close()
	dialFrom(t, "127.0.0.2", addr)
	next(t, accepted)
	extra := dialFrom(t, "127.0.0.2", addr)
	if !closedByServer(extra, 5*time.Second) {
		t.Error("a closed connection gave back more than its slot")
	}
}

func TestListenerExemptsTrustedProxies(t *testing.T) {
	proxies, _ := forwarded.ParseProxies("127.0.0.4")
	var refused countingLimited
	l := newListener(listen(t), slog.New(slog.DiscardHandler), 1, proxies, refused.limited)
	accepted := acceptAll(t, l)
	for range 3 {
		dialFrom(t, "127.0.0.4", l.Addr().String())
		next(t, accepted)
	}
	if refused.n.Load() != 0 {
		t.Errorf("%d connections of a trusted proxy refused", refused.n.Load())
	}
}

func TestListenerOffCountsNothing(t *testing.T) {
	raw := listen(t)
	l := newListener(raw, slog.New(slog.DiscardHandler), 0, nil, nil)
	accepted := acceptAll(t, l)
	dialFrom(t, "127.0.0.2", l.Addr().String())
	if _, wrapped := next(t, accepted).(*countedConn); wrapped {
		t.Error("a connection was wrapped with no cap to count against")
	}
}

// Package stream writes to a connection it took over through its raw file
// descriptor; through the wrapper it must reach the same socket.
func TestCountedConnReachesTheSocket(t *testing.T) {
	l := newListener(listen(t), slog.New(slog.DiscardHandler), 4, nil, func(string) {})
	accepted := acceptAll(t, l)
	client := dialFrom(t, "127.0.0.2", l.Addr().String())
	c := next(t, accepted)
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("%T is no syscall.Conn: taken-over streams would lose their non-blocking writes", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var werr error
	if err := raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), []byte("hi"))
		return true
	}); err != nil || werr != nil || n != 2 {
		t.Fatalf("write on the raw socket: %d, %v, %v", n, err, werr)
	}
	got := make([]byte, 2)
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "hi" {
		t.Fatalf("the client read %q, %v", got, err)
	}
}

// However many goroutines close a connection, its slot comes back once.
func TestCountedConnReleasesOnce(t *testing.T) {
	var released atomic.Int64
	a, b := net.Pipe()
	defer b.Close()
	c := &countedConn{Conn: a, release: func() { released.Add(1) }}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { c.Close() })
	}
	wg.Wait()
	if released.Load() != 1 {
		t.Fatalf("released %d times", released.Load())
	}
}

// failingListener fails its first n accepts with err, then hands out conns.
type failingListener struct {
	net.Listener // nil: only Accept, Close and Addr are called
	mu           sync.Mutex
	n            int
	err          error
	onFail       func()
	closed       chan struct{}
}

func (f *failingListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	if f.n > 0 {
		f.n--
		f.mu.Unlock()
		if f.onFail != nil {
			f.onFail()
		}
		return nil, f.err
	}
	f.mu.Unlock()
	a, _ := net.Pipe()
	return a, nil
}

func (f *failingListener) Close() error { close(f.closed); return nil }

// emfile is what accept fails with when the process is out of files.
var emfile = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

// A burst of failed accepts, as when the process is out of files, logs one
// line a second, telling how many it left out, and the listener goes on
// accepting once they pass.
func TestAcceptErrorsLogOncePerSecond(t *testing.T) {
	var logs bytes.Buffer
	var clock atomic.Int64 // seconds since start, advanced by the test
	start := time.Unix(1000, 0)
	fake := &failingListener{n: 100, err: emfile, closed: make(chan struct{})}
	l := newListener(fake, slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)), 0, nil, nil)
	l.minDelay, l.maxDelay = time.Microsecond, time.Microsecond
	l.now = func() time.Time { return start.Add(time.Duration(clock.Load()) * time.Second) }
	failures := 0
	fake.onFail = func() {
		failures++
		if failures == 60 { // a second later: this failure is logged
			clock.Add(1)
		}
	}
	c, err := l.Accept()
	if err != nil || c == nil {
		t.Fatalf("Accept after the failures: %v, %v", c, err)
	}
	c.Close()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("100 failures in two seconds logged %d lines, want 2:\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], "too many open files") || !strings.Contains(lines[0], "failures_not_logged=0") {
		t.Errorf("first line: %s", lines[0])
	}
	if !strings.Contains(lines[1], "failures_not_logged=58") {
		t.Errorf("second line should tell of the 58 failures between the two lines: %s", lines[1])
	}
}

// Closing the listener ends a backoff at once, and a failure that is not
// temporary ends Accept.
func TestAcceptErrorsEndOnClose(t *testing.T) {
	fake := &failingListener{n: 1 << 30, err: emfile, closed: make(chan struct{})}
	l := newListener(fake, slog.New(slog.DiscardHandler), 0, nil, nil)
	l.minDelay, l.maxDelay = time.Hour, time.Hour
	failed := make(chan struct{}, 1)
	fake.onFail = func() { failed <- struct{}{} }
	done := make(chan error, 1)
	go func() { _, err := l.Accept(); done <- err }()
	<-failed
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept in a backoff, after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still waiting out its backoff 10s after Close")
	}

	bad := &failingListener{n: 1, err: errors.New("broken"), closed: make(chan struct{})}
	if _, err := newListener(bad, slog.New(slog.DiscardHandler), 0, nil, nil).Accept(); err == nil || err.Error() != "broken" {
		t.Errorf("a permanent failure: %v, want it returned", err)
	}
}
