package web

import (
	"errors"
	"net"
	"net/http"
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
	onClose  func() // called once, when the stream closes
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
func takeOver(w http.ResponseWriter, r *http.Request, viewer boxoffice.Guest, version int64, lifetime time.Duration, onClose func()) *rawStream {
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
	st.lifetime = time.AfterFunc(lifetime, func() { st.close(true) })
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
	var err error
	if st.draining {
		if len(st.backlog)+len(b) > maxBacklog {
			err = errors.New("too far behind")
		} else {
			st.backlog = append(st.backlog, b...)
		}
	} else {
		var n int
		n, err = st.tryWrite(b)
		if errors.Is(err, errWouldBlock) {
			// b may be shared by every stream: copy what is left.
			st.backlog = append(st.backlog[:0], b[n:]...)
			st.draining, err = true, nil
			go st.drain()
		}
	}
	st.mu.Unlock()
	if err != nil {
		st.close(false)
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
		if st.writeBlocking(b) != nil {
			st.close(false)
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

// close ends the stream; cleanly means with the response's last chunk, as
// at the end of its lifetime or at shutdown. Either way the browser
// reconnects and resumes.
func (st *rawStream) close(cleanly bool) {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	st.closed = true
	if cleanly && !st.draining {
		_, _ = st.tryWrite(lastChunk)
	}
	g := st.group
	st.mu.Unlock()
	st.lifetime.Stop()
	_ = st.conn.Close()
	if g != nil {
		g.remove(st)
	}
	st.onClose()
}
