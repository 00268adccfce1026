package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"boxoffice"
	"boxoffice/live"
)

// rawStream is an event stream taken over from net/http: its connection,
// whose response is chunked, and what it has been written.
type rawStream struct {
	conn     net.Conn
	raw      syscall.RawConn // nil: every write goes through drain
	viewer   boxoffice.Guest
	lifetime *time.Timer
	onClose  func(why string) // called once, when the stream closes
	// version is the last version written. The handler owns it until the
	// stream joins a group, then the group's run.
	version int64

	mu       sync.Mutex
	group    *streamGroup
	backlog  []byte // written by drain while draining
	draining bool
	closed   bool
}

// takeOver hijacks the connection of an event stream whose headers and
// first events are flushed, when it is plain HTTP/1.1: the response then is
// chunked and goes on in chunks. It returns nil, with w untouched, when the
// stream stays with net/http (HTTP/2, TLS, HEAD, a recorder in tests).
func takeOver(w http.ResponseWriter, r *http.Request, viewer boxoffice.Guest, version int64, lifetime time.Duration, onClose func(why string)) *rawStream {
	if !canTakeOver || r.ProtoMajor != 1 || r.ProtoMinor != 1 || r.Method != http.MethodGet || r.TLS != nil {
		return nil
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	st := &rawStream{conn: conn, viewer: viewer, version: version, onClose: onClose}
	if sc, ok := conn.(syscall.Conn); ok {
		st.raw, _ = sc.SyscallConn()
	}
	st.lifetime = time.AfterFunc(lifetime, func() { st.close(ClosedLifetime) })
	return st
}

// joined records that g writes st from now on.
func (st *rawStream) joined(g *streamGroup) {
	st.mu.Lock()
	st.group = g
	closed := st.closed
	st.mu.Unlock()
	if closed {
		g.remove(st)
	}
}

// framesFor is the chunks of the events after st.version as st's viewer sees
// them.
func (st *rawStream) framesFor(events []*live.Event) []byte {
	var b []byte
	for _, e := range events {
		if e.Version <= st.version {
			continue
		}
		b = append(b, frameFor(e, st.viewer)...)
		st.version = e.Version
	}
	return b
}

// write writes b without waiting. What the socket cannot take now is left
// to drain, up to maxBacklog; a client further behind is closed and
// reconnects.
func (st *rawStream) write(b []byte) {
	if len(b) == 0 {
		return
	}
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	why := ""
	if st.draining {
		if len(st.backlog)+len(b) > maxBacklog {
			why = ClosedSlow
		} else {
			st.backlog = append(st.backlog, b...)
		}
	} else {
		n, err := st.tryWrite(b)
		switch {
		case errors.Is(err, errWouldBlock):
			// b may be shared by every stream: copy what is left.
			st.backlog = append(st.backlog[:0], b[n:]...)
			st.draining = true
			go st.drain()
		case err != nil:
			why = ClosedLeft
		}
	}
	st.mu.Unlock()
	if why != "" {
		st.close(why)
	}
}

// drain writes the backlog, waiting at most writeTimeout for each piece.
func (st *rawStream) drain() {
	for {
		st.mu.Lock()
		if st.closed {
			st.mu.Unlock()
			return
		}
		b := st.backlog
		st.backlog = nil
		if len(b) == 0 {
			st.draining = false
			st.mu.Unlock()
			return
		}
		st.mu.Unlock()
		if err := st.writeBlocking(b); err != nil {
			st.close(whyFailed(err))
			return
		}
	}
}

// writeBlocking writes b, waiting at most writeTimeout.
func (st *rawStream) writeBlocking(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := st.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	if _, err := st.conn.Write(b); err != nil {
		return err
	}
	return st.conn.SetWriteDeadline(time.Time{})
}

// whyFailed is why a stream ends after a blocking write failed: it timed
// out (too slow), or the connection is gone.
func whyFailed(err error) string {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, live.ErrSlow) || errors.Is(err, context.DeadlineExceeded) {
		return ClosedSlow
	}
	return ClosedLeft
}

// close ends the stream, why being one of the Closed* reasons. At the end of
// its lifetime or at shutdown it ends cleanly, with the response's last
// chunk. Either way the browser reconnects and resumes.
func (st *rawStream) close(why string) {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	st.closed = true
	if (why == ClosedLifetime || why == ClosedServer) && !st.draining {
		_, _ = st.tryWrite(lastChunk)
	}
	g := st.group
	st.mu.Unlock()
	st.lifetime.Stop()
	_ = st.conn.Close()
	if g != nil {
		g.remove(st)
	}
	st.onClose(why)
}
