package server_test

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"boxoffice/server"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address src (Linux routes all of 127.0.0.0/8 to loopback) and whose every
// request must be answered within timeout.
func clientFrom(src string, timeout time.Duration) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext}}
}

// One address opening far more idle connections than it may hold: the
// excess is closed and counted, and meanwhile another address's health
// check and booking are each answered within a second.
func TestIdleConnectionFlood(t *testing.T) {
	const perClient, flood = 20, 1000
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "a.db"), Demo: true,
		Location: time.UTC, MaxConnsPerClient: perClient, WriteRate: 10, WriteBurst: 40}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	base := "http://" + srv.URLHost()
	guest := clientFrom("127.0.0.3", 10*time.Second)
	var list struct{ Shows []struct{ ID string } }
	getJSON(t, guest, base+"/api/shows", &list)

	// The attacker dials from 127.0.0.2 as fast as it can and keeps every
	// connection open, sending nothing.
	var (
		mu      sync.Mutex
		idle    []net.Conn
		dialErr error
	)
	flooding := make(chan struct{})
	attacked := make(chan struct{})
	go func() {
		defer close(attacked)
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 10 * time.Second}
		for i := range flood {
			c, err := d.Dial("tcp", srv.URLHost())
			mu.Lock()
			if err != nil {
				dialErr = err
				mu.Unlock()
				return
			}
			idle = append(idle, c)
			mu.Unlock()
			if i == 10*perClient {
				close(flooding)
			}
		}
	}()
	t.Cleanup(func() {
		<-attacked
		for _, c := range idle {
			c.Close()
		}
	})
	select {
	case <-flooding:
	case <-attacked:
		t.Fatalf("the attacker could not dial: %v", dialErr)
	}

	// Meanwhile, a guest elsewhere, allowed one second an answer (with
	// fresh connections: no kept-alive one from before the flood).
	quick := clientFrom("127.0.0.3", time.Second)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/healthz"},
		{http.MethodPut, "/api/shows/" + list.Shows[0].ID + "/seats/A1"},
	} {
		if code := status(t, quick, c.method, base+c.path, nil); code != http.StatusOK {
			t.Errorf("%s %s during the flood: %d", c.method, c.path, code)
		}
	}
	<-attacked
	if dialErr != nil {
		t.Fatalf("the attacker could not dial: %v", dialErr)
	}

	// The server closed every connection past the cap: a read on it ends at
	// once rather than waiting. The ones it holds are left to time out.
	var closed sync.WaitGroup
	var nClosed int
	for _, c := range idle {
		closed.Go(func() {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err := c.Read(make([]byte, 1))
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				mu.Lock()
				nClosed++
				mu.Unlock()
			}
		})
	}
	closed.Wait()
	if nClosed < flood-perClient {
		t.Errorf("%d of %d idle connections closed by the server, want at least the %d past the cap", nClosed, flood, flood-perClient)
	}
	m := scrape(t, base)
	if got := m[`boxoffice_limited_total{limit="conns_per_client"}`]; got != flood-perClient {
		t.Errorf(`boxoffice_limited_total{limit="conns_per_client"} = %v, want %d`, got, flood-perClient)
	}
}
