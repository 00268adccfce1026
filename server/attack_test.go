package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
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

// streamClientFrom is clientFrom for event streams: the answer's headers
// must come within timeout, the body may go on.
func streamClientFrom(src string, timeout time.Duration) *http.Client {
	c := clientFrom(src, 0)
	c.Transport.(*http.Transport).ResponseHeaderTimeout = timeout
	return c
}

// openStream opens a show's event stream from client and returns the answer
// with its body open (a 200 keeps streaming until the test ends).
func openStream(t *testing.T, client *http.Client, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// One address opening streams past its own cap, and many addresses past the
// server's: the excess is refused at once with 429 and 503 and Retry-After,
// counted by limit, while another address's health check and booking are
// answered within a second and the open streams keep receiving changes.
func TestStreamFlood(t *testing.T) {
	const perClient, total = 5, 12
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "a.db"), Demo: true,
		Location: time.UTC, MaxStreamsPerClient: perClient, MaxStreams: total, MaxConnsPerClient: 256},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	base := "http://" + srv.URLHost()
	var list struct{ Shows []struct{ ID string } }
	getJSON(t, clientFrom("127.0.0.3", 10*time.Second), base+"/api/shows", &list)
	events := base + "/api/shows/" + list.Shows[0].ID + "/events"

	// The attacker, on 127.0.0.2, opens streams until refused, and then
	// some: each over the cap is a 429 at once (its client has a 1 s
	// timeout, so a refusal that waited would fail).
	attacker := streamClientFrom("127.0.0.2", time.Second)
	var open []*http.Response
	for i := range 3 * perClient {
		resp := openStream(t, attacker, events)
		switch {
		case i < perClient && resp.StatusCode == http.StatusOK:
			open = append(open, resp)
		case i >= perClient && resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "":
		default:
			t.Fatalf("stream %d from one address: %s (Retry-After %q); want 200 up to %d, then 429 with Retry-After",
				i+1, resp.Status, resp.Header.Get("Retry-After"), perClient)
		}
	}
	// Other addresses fill the server; the next is refused with 503.
	for i := perClient; i < total; i++ {
		if resp := openStream(t, streamClientFrom(fmt.Sprintf("127.0.1.%d", i), time.Second), events); resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d in all: %s", i+1, resp.Status)
		}
	}
	for i := range 5 {
		resp := openStream(t, streamClientFrom(fmt.Sprintf("127.0.2.%d", i+1), time.Second), events)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("a stream past the server's cap: %s (Retry-After %q), want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
		}
	}

	// Meanwhile a guest elsewhere is answered within a second, and the
	// attacker's own streams hear the guest's booking.
	quick := clientFrom("127.0.0.3", time.Second)
	if code := status(t, quick, http.MethodGet, base+"/healthz", nil); code != http.StatusOK {
		t.Errorf("GET /healthz at the stream caps: %d", code)
	}
	if code := status(t, quick, http.MethodPut, base+"/api/shows/"+list.Shows[0].ID+"/seats/A1", nil); code != http.StatusOK {
		t.Errorf("a booking at the stream caps: %d", code)
	}
	sc := bufio.NewScanner(open[0].Body)
	sc.Buffer(nil, 1<<20)
	heard := false
	for !heard && sc.Scan() {
		heard = strings.HasPrefix(sc.Text(), "event: seats")
	}
	if !heard {
		t.Fatalf("an open stream did not hear the booking: %v", sc.Err())
	}
	m := scrape(t, base)
	if got := m[`boxoffice_limited_total{limit="streams_per_client"}`]; got != 2*perClient {
		t.Errorf(`boxoffice_limited_total{limit="streams_per_client"} = %v, want %d`, got, 2*perClient)
	}
	if got := m[`boxoffice_limited_total{limit="streams"}`]; got != 5 {
		t.Errorf(`boxoffice_limited_total{limit="streams"} = %v, want 5`, got)
	}
}
