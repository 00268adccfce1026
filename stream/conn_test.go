package stream

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection with small socket
// buffers, so that a peer that does not read fills them quickly.
func tcpPair(t testing.TB) (server *net.TCPConn, client *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := (<-accepted).(*net.TCPConn)
	client = c.(*net.TCPConn)
	_ = s.SetWriteBuffer(4 << 10)
	_ = client.SetReadBuffer(4 << 10)
	t.Cleanup(func() { s.Close(); client.Close() })
	return s, client
}

// newTestStream is a taken-over stream on nc; closed receives why it was
// closed.
func newTestStream(t testing.TB, nc *net.TCPConn) (st *conn, closed <-chan string) {
	t.Helper()
	why := make(chan string, 1)
	st = &conn{net: nc, onClose: func(w string) { why <- w }}
	var err error
	if st.raw, err = nc.SyscallConn(); err != nil {
		t.Fatal(err)
	}
	st.lifetime = time.AfterFunc(time.Hour, func() { st.close(ClosedLifetime) })
	return st, why
}

// A client that stops reading is closed once it is maxBacklog behind beyond
// what the sockets hold, rather than making the stream's group wait.
func TestRawStreamClosesClientThatStopsReading(t *testing.T) {
	server, _ := tcpPair(t)
	st, why := newTestStream(t, server)
	piece := chunk(bytes.Repeat([]byte("x"), 1000))
	start := time.Now()
	for i := 0; ; i++ {
		st.write(piece)
		st.mu.Lock()
		closed := st.closed
		st.mu.Unlock()
		if closed {
			t.Logf("closed after %d writes of %d bytes in %v", i+1, len(piece), time.Since(start))
			break
		}
		if i > 100_000 {
			t.Fatal("a client that never reads was never closed")
		}
	}
	if since := time.Since(start); since > writeTimeout/2 {
		t.Errorf("writes took %v: they must not wait for the client", since)
	}
	if got := <-why; got != ClosedSlow {
		t.Errorf("closed as %q, want %q", got, ClosedSlow)
	}
}

// A client that reads slower than the stream is written gets everything, in
// order, through the backlog.
func TestRawStreamBacklogKeepsOrder(t *testing.T) {
	server, client := tcpPair(t)
	st, why := newTestStream(t, server)
	var want bytes.Buffer
	// Less than maxBacklog in all, more than the sockets hold.
	for i := 0; want.Len() < maxBacklog*3/4; i++ {
		piece := chunk(bytes.Repeat([]byte{byte('a' + i%26)}, 30))
		want.Write(piece)
		st.write(piece)
	}
	st.mu.Lock()
	draining := st.draining
	st.mu.Unlock()
	if !draining {
		t.Error("the sockets took everything: the test did not reach the backlog")
	}
	got := make([]byte, want.Len())
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatalf("client read: %v", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("client read other bytes than the %d written, or out of order", want.Len())
	}
	// Closing ends the response with its last chunk, unless the drain had
	// not yet noticed it was done: either way the client sees the end.
	st.close(ClosedLifetime)
	if rest, err := io.ReadAll(client); err != nil || len(rest) > 0 && !bytes.Equal(rest, lastChunk) {
		t.Errorf("after close: %q %v, want the end of the stream", rest, err)
	}
	if got := <-why; got != ClosedLifetime {
		t.Errorf("closed as %q, want %q", got, ClosedLifetime)
	}
}
