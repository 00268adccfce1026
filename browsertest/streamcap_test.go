package browsertest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice/server"
)

// A second browser on the same address as the first, over a cap of one
// event stream per address, is refused its stream: its page says it is
// reconnecting and waits as the server asks (Retry-After) instead of
// hammering it, while the first page stays live.
func TestStreamCapSecondBrowserWaits(t *testing.T) {
	t.Parallel()
	s := startSiteWith(t, func(c *server.Config) { c.MaxStreamsPerClient = 1 })
	p := newStreamCounter(t, s.url)
	url := p.url + "/shows/" + s.shows["studio"]
	first := newGuest(t)
	openLive(t, first, url)

	second := newGuest(t)
	before := p.gets.Load()
	const window = 10 * time.Second
	watching := time.NewTimer(window)
	open(t, second, url)
	waitTrue(t, second, "the second page says it is reconnecting",
		`(() => { const l = document.getElementById('live'); return !l.hidden && l.classList.contains('off') && l.textContent === 'Reconnecting…'; })()`)

	// Meanwhile the first page goes on.
	other := newAPIGuest(t, s)
	at := time.Now()
	other.book("studio", "C4")
	waitStatus(t, first, at, "the first page", "C4", "booked")

	<-watching.C // the point of the test: what the second page does for this long
	gets, heads := p.gets.Load()-before, p.heads.Load()
	t.Logf("in %v the second page made %d stream requests and %d HEADs", window, gets, heads)
	if gets < 1 || gets > 3 {
		t.Errorf("the second page made %d stream requests in %v, want 1 to 3", gets, window)
	}
	if heads < 1 {
		t.Error("the second page never asked (HEAD) why its stream was refused")
	}
	if !eval[bool](t, second, `document.getElementById('live').classList.contains('off')`) {
		t.Error("the second page went live over the cap")
	}
	at = time.Now()
	other.book("studio", "C5")
	waitStatus(t, first, at, "the first page", "C5", "booked")
	screenshot(t, second, "streamcap-second-studio-desktop")
}

// streamCounter is a proxy in front of the server that counts the event
// stream requests through it.
type streamCounter struct {
	url         string
	gets, heads atomic.Int64
}

func newStreamCounter(t *testing.T, target string) *streamCounter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &streamCounter{}
	proxy := httputil.NewSingleHostReverseProxy(u) // flushes event streams as they come
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/events") {
			switch r.Method {
			case http.MethodGet:
				c.gets.Add(1)
			case http.MethodHead:
				c.heads.Add(1)
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	c.url = srv.URL
	return c
}
