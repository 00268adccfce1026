package load

import (
	"context"
	"net"
	"net/http"
	"time"

	"boxoffice/internal/loopback"
)

// sources hands out clients that dial from source addresses taken in turn,
// so that a server limiting per client address sees the tool's guests as
// the guests of that many homes. With one address or none, every client is
// the same, dialing as the system chooses (127.0.0.1 to a loopback target).
type sources struct {
	clients []*http.Client
}

// newSources makes n clients (at least one), each for up to conns workers.
func newSources(n, conns int, timeout time.Duration) *sources {
	if n <= 1 {
		return &sources{clients: []*http.Client{newClient(conns, timeout, nil)}}
	}
	s := &sources{}
	for i := range n {
		s.clients = append(s.clients, newClient(conns, timeout, sourceDialer(i)))
	}
	return s
}

// client is the client of the tool's i-th guest or reader: addresses are
// taken in turn.
func (s *sources) client(i int) *http.Client { return s.clients[i%len(s.clients)] }

func (s *sources) close() {
	for _, c := range s.clients {
		c.CloseIdleConnections()
	}
}

// sourceDialer dials from the i-th loopback source address, and refuses a
// target off the loopback network (which Config.validate has refused
// already).
func sourceDialer(i int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := loopback.NewDialer(i)
	d.Timeout, d.KeepAlive = 5*time.Second, 30*time.Second
	return d.DialContext
}

// watcherDialer is the dialer of watcher i of a run spreading its clients
// over n source addresses.
func watcherDialer(i, n int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if n <= 1 {
		return (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	d := loopback.NewDialer(i % n)
	d.Timeout = 10 * time.Second
	return d.DialContext
}
