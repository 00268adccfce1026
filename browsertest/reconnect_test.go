package browsertest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// A guest whose event stream breaks, while another guest books and
// releases, sees every change it missed once the stream is back, without
// a reload.
func TestReconnectCatchesUp(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	p := newCutter(t, s.url[len("http://"):])
	b := newGuest(t)
	openLive(t, b, "http://"+p.addr()+"/shows/"+s.shows["grand"])
	eval[bool](t, b, `window.notReloaded = true`)
	other := newAPIGuest(t, s)
	other.book("grand", "A3")
	waitStatus(t, b, time.Now(), "B", "A3", "booked")

	p.cut()
	waitTrue(t, b, "B's page says it is reconnecting",
		`document.getElementById('live').classList.contains('off') && document.getElementById('live').textContent.startsWith('Reconnecting')`)
	other.book("grand", "D10")
	other.book("grand", "D11")
	other.release("grand", "A3")
	other.book("grand", "J1") // a wheelchair space
	for seat, want := range map[string]string{"A3": "booked", "D10": "free", "D11": "free", "J1": "free"} {
		if got := status(t, b, seat); got != want {
			t.Fatalf("while cut off, B already sees %s %s: the stream was not cut", seat, got)
		}
	}

	at := time.Now()
	p.resume()
	waitStatus(t, b, at, "B", "D10", "booked")
	waitStatus(t, b, at, "B", "D11", "booked")
	waitStatus(t, b, at, "B", "A3", "free")
	waitStatus(t, b, at, "B", "J1", "booked")
	waitTrue(t, b, "B's page is live again", `!document.getElementById('live').classList.contains('off')`)
	if !eval[bool](t, b, `window.notReloaded === true`) {
		t.Error("B's page reloaded")
	}
	if got := eval[string](t, b, `document.getElementById('left').textContent`); got != "371" {
		t.Errorf("B's page says %s seats left, want 371", got)
	}
	screenshot(t, b, "reconnect-grand-desktop")
}

// cutter is a TCP proxy in front of the server that can cut every
// connection through it and hold new ones until it resumes: a network
// outage for one browser only.
type cutter struct {
	t  *testing.T
	ln net.Listener

	mu    sync.Mutex
	conns map[net.Conn]bool
	gate  chan struct{} // closed while connections may pass
}

func newCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{t: t, ln: ln, conns: map[net.Conn]bool{}, gate: make(chan struct{})}
	close(c.gate)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		c.cut()
		c.resume()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.mu.Lock()
				gate := c.gate
				c.mu.Unlock()
				<-gate
				out, err := net.Dial("tcp", target)
				if err != nil {
					in.Close()
					return
				}
				if !c.track(in, out) {
					return
				}
				go func() { _, _ = io.Copy(out, in); out.Close() }()
				_, _ = io.Copy(in, out)
				in.Close()
			}()
		}
	}()
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

// track registers a pair of connections, or closes them when a cut came
// after they passed the gate.
func (c *cutter) track(in, out net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.gate:
		c.conns[in], c.conns[out] = true, true
		return true
	default:
		in.Close()
		out.Close()
		return false
	}
}

// cut closes every connection and holds new ones at the gate.
func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.gate:
		c.gate = make(chan struct{})
	default:
	}
	for conn := range c.conns {
		conn.Close()
		delete(c.conns, conn)
	}
}

// resume lets held and new connections through.
func (c *cutter) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.gate:
	default:
		close(c.gate)
	}
}
