package server

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"boxoffice/forwarded"
	"boxoffice/limit"
)

// listener is what http.Server accepts from. It keeps one client address
// from holding more than its share of connections, and it keeps a failing
// accept (out of file descriptors, most often: an attack) from filling the
// log, which http.Server would do with a line every 5 ms.
type listener struct {
	net.Listener
	log *slog.Logger

	// conns counts the connections of each client address; nil counts
	// nothing. Connections from trusted proxies are not counted: each
	// carries many clients.
	conns    *limit.Counter
	perKey   int
	trusted  []netip.Prefix
	limited  func(limit string)
	warnings *limit.Rate // one warning per address a minute

	// What a failing accept does: wait, doubling from minDelay to
	// maxDelay, as http.Server would, and log at most once per logEvery.
	minDelay, maxDelay, logEvery time.Duration
	now                          func() time.Time

	closeOnce sync.Once
	closed    chan struct{} // ends a backoff when the server closes the listener

	logMu      sync.Mutex
	lastLog    time.Time
	suppressed int
}

// newListener wraps ln. perKey is the cap on connections per client
// address; 0 counts nothing.
func newListener(ln net.Listener, log *slog.Logger, perKey int, trusted []netip.Prefix, limited func(string)) *listener {
	l := &listener{Listener: ln, log: log, perKey: perKey, trusted: trusted, limited: limited,
		minDelay: 5 * time.Millisecond, maxDelay: time.Second, logEvery: time.Second, now: time.Now,
		closed: make(chan struct{})}
	if perKey > 0 {
		l.conns = limit.NewCounter(perKey, 0)
		l.warnings = limit.NewRate(1.0/60, 1, 0)
	}
	return l
}

// Accept returns the next connection its client address may hold. Over
// the cap a connection is closed before a byte of it is read, and Accept
// goes on to the next.
func (l *listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var te interface{ Temporary() bool }
			if !errors.As(err, &te) || !te.Temporary() {
				return nil, err
			}
			delay = min(max(2*delay, l.minDelay), l.maxDelay)
			l.acceptFailed(err, delay)
			select {
			case <-time.After(delay):
			case <-l.closed:
				return nil, net.ErrClosed
			}
			continue
		}
		delay = 0
		if c, ok := l.admit(c); ok {
			return c, nil
		}
	}
}

// admit counts c against its client address, or closes it.
func (l *listener) admit(c net.Conn) (net.Conn, bool) {
	if l.conns == nil {
		return c, true
	}
	tcp, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return c, true
	}
	peer := tcp.AddrPort().Addr().Unmap()
	if forwarded.Trusts(l.trusted, peer) {
		return c, true
	}
	key := limit.Key(peer)
	if l.conns.Acquire(key) != nil {
		// Counted before the close, so that whoever sees the close
		// finds it counted.
		l.limited("conns_per_client")
		_ = c.Close()
		if ok, _ := l.warnings.Take(key, l.now()); ok {
			l.log.Warn("client is over a limit; further refusals this minute are only counted in boxoffice_limited_total",
				"client", peer.String(), "limit", "conns_per_client", "max_conns_per_client", l.perKey)
		}
		return nil, false
	}
	return &countedConn{Conn: c, release: func() { l.conns.Release(key) }}, true
}

// acceptFailed logs a failed accept, at most once per logEvery, with how
// many failures the lines in between would have told.
func (l *listener) acceptFailed(err error, retry time.Duration) {
	l.logMu.Lock()
	defer l.logMu.Unlock()
	now := l.now()
	if !l.lastLog.IsZero() && now.Sub(l.lastLog) < l.logEvery {
		l.suppressed++
		return
	}
	l.log.Warn("accepting a connection failed; retrying", "err", err, "retry_in", retry, "failures_not_logged", l.suppressed)
	l.lastLog, l.suppressed = now, 0
}

// Close stops the listener, and any backoff of Accept with it.
func (l *listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// countedConn gives its client address's slot back when it closes, once,
// however many times and by whomever it is closed (net/http, or package
// stream after taking the connection over).
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// SyscallConn lets package stream write to a connection it took over
// without waiting, as it does to a bare *net.TCPConn.
func (c *countedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// CloseWrite lets net/http half-close the connection before closing it, so
// that the client reads the answer before a reset, as with *net.TCPConn.
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
