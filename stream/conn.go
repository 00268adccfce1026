package stream

import (
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"boxoffice"
)

// maxBacklog is how much a taken-over stream may have waiting while its
// client catches up before it is closed as too slow (it reconnects and
// resumes): some 60 events beyond what the sockets hold, and at most 160 MB
// should all of 10,000 clients stall at once (for writeTimeout at most).
const maxBacklog = 16 << 10

var (
	lastChunk     = []byte("0\r\n\r\n")
	errWouldBlock = errors.New("stream: write would block")
)

// chunk frames events as one HTTP/1.1 chunk: a taken-over response is
// chunked, and goes on in chunks.
func chunk(events ...[]byte) []byte {
	n := 0
	for _, ev := range events {
		n += len(ev)
	}
	b := make([]byte, 0, n+12)
	b = strconv.AppendInt(b, int64(n), 16)
	b = append(b, "\r\n"...)
	for _, ev := range events {
		b = append(b, ev...)
	}
	return append(b, "\r\n"...)
}

// conn is a stream taken over from net/http: its connection, whose response
// is chunked, and what it has been written.
type conn struct {
	net      net.Conn
	raw      syscall.RawConn // nil: every write goes through drain
	viewer   boxoffice.Guest
	lifetime *time.Timer
	onClose  func(why string) // called once, when the stream closes
	drains   *sync.WaitGroup  // counts drain goroutines; nil in tests
	// version is the last version written. The handler owns it until the
	// stream joins a group, then the group's run.
	version int64

	mu       sync.Mutex
	group    *group
	backlog  []byte // written by drain while draining
	draining bool
	closed   bool
}

// takeOver hijacks the connection of a stream whose headers and first events
// are flushed, when it is plain HTTP/1.1: the response then is chunked and
// goes on in chunks. It returns nil, w untouched, when the stream stays with
// net/http: HTTP/2, TLS, a platform without non-blocking writes, or a
// hijack that failed, which is logged once and always counted. onClose ends
// the stream's accounting when it closes.
func (e *Engine) takeOver(w http.ResponseWriter, r *http.Request, viewer boxoffice.Guest, version int64, onClose func(why string)) *conn {
	if !canTakeOver || r.ProtoMajor != 1 || r.ProtoMinor != 1 || r.TLS != nil {
		return nil
	}
	nc, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		e.cfg.Observer.StreamTakeoverFailed()
		e.warn.Do(func() {
			e.cfg.Logger.Warn("an event stream could not be taken over from net/http and costs ten times the memory; "+
				"further failures are only counted (boxoffice_event_stream_takeover_failures_total)", "err", err)
		})
		return nil
	}
	c := &conn{net: nc, viewer: viewer, version: version, onClose: onClose, drains: &e.wg}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	c.lifetime = time.AfterFunc(e.cfg.Lifetime, func() { c.close(ClosedLifetime) })
	return c
}

// joined records that g writes c from now on.
func (c *conn) joined(g *group) {
	c.mu.Lock()
	c.group = g
	closed := c.closed
	c.mu.Unlock()
	if closed {
		g.remove(c)
	}
}

// write writes b without waiting. What the socket cannot take now is left
// to drain, up to maxBacklog; a client further behind is closed and
// reconnects.
func (c *conn) write(b []byte) {
	if len(b) == 0 {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	why := ""
	if c.draining {
		if len(c.backlog)+len(b) > maxBacklog {
			why = ClosedSlow
		} else {
			c.backlog = append(c.backlog, b...)
		}
	} else {
		n, err := c.tryWrite(b)
		switch {
		case errors.Is(err, errWouldBlock):
			// b may be shared by every stream: copy what is left.
			c.backlog = append(c.backlog[:0], b[n:]...)
			c.draining = true
			if c.drains != nil {
				c.drains.Add(1)
			}
			go c.drain()
		case err != nil:
			why = ClosedLeft
		}
	}
	c.mu.Unlock()
	if why != "" {
		c.close(why)
	}
}

// drain writes the backlog, waiting at most writeTimeout for each piece.
func (c *conn) drain() {
	if c.drains != nil {
		defer c.drains.Done()
	}
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		b := c.backlog
		c.backlog = nil
		if len(b) == 0 {
			c.draining = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := c.writeBlocking(b); err != nil {
			c.close(whyFailed(err))
			return
		}
	}
}

// writeBlocking writes b, waiting at most writeTimeout.
func (c *conn) writeBlocking(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := c.net.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	if _, err := c.net.Write(b); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errSlow
		}
		return err
	}
	return c.net.SetWriteDeadline(time.Time{})
}

// close ends the stream, why being one of the Closed* reasons. At the end of
// its lifetime or at shutdown it ends cleanly, with the response's last
// chunk. Either way the browser reconnects and resumes.
func (c *conn) close(why string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if (why == ClosedLifetime || why == ClosedServer || why == ClosedCancelled) && !c.draining {
		_, _ = c.tryWrite(lastChunk)
	}
	g := c.group
	c.mu.Unlock()
	c.lifetime.Stop()
	_ = c.net.Close()
	if g != nil {
		g.remove(c)
	}
	c.onClose(why)
}
