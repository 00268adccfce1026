package web_test

import (
	"net/http"
	"net/netip"
	"testing"

	"boxoffice/web"
)

// The access line names the client: the peer, or behind a trusted proxy
// the address it forwarded for.
func TestAccessLineNamesClient(t *testing.T) {
	l := newLimited(t, func(c *web.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	l.do("GET", "/api/shows", "192.0.2.1:4000")
	l.do("GET", "/api/shows/nothing", "10.0.0.1:4000", "X-Forwarded-For", "198.51.100.7")
	for _, want := range [][]string{
		{"level=INFO", "msg=request", "client=192.0.2.1", "path=/api/shows ", "status=200"},
		{"level=INFO", "msg=request", "client=198.51.100.7", "path=/api/shows/nothing", "status=404"},
	} {
		if len(l.log.lines(want...)) != 1 {
			t.Errorf("no access line with %q in:\n%s", want, l.log.lines())
		}
	}
}

// A peer that sends X-Forwarded-For without being a trusted proxy is most
// likely a proxy the operator forgot to name: one warning says so, naming
// it, once for the handler's life rather than once a request.
func TestUntrustedForwarderWarnsOnce(t *testing.T) {
	l := newLimited(t, func(c *web.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	l.do("GET", "/api/shows", "10.0.0.1:4000", "X-Forwarded-For", "198.51.100.7") // trusted: no warning
	l.do("GET", "/api/shows", "192.0.2.1:4000")                                   // no header: no warning
	if w := l.log.lines("level=WARN"); len(w) != 0 {
		t.Fatalf("warned before any untrusted X-Forwarded-For: %s", w)
	}
	for _, peer := range []string{"192.0.2.1:4000", "192.0.2.1:4001", "192.0.2.2:4000"} {
		if rec := l.do("GET", "/api/shows", peer, "X-Forwarded-For", "198.51.100.7"); rec.Code != http.StatusOK {
			t.Fatalf("GET with X-Forwarded-For: %d", rec.Code)
		}
	}
	w := l.log.lines("level=WARN")
	if len(w) != 1 || len(l.log.lines("level=WARN", "peer=192.0.2.1", "every client behind it shares one set of limits", "--trusted-proxies")) != 1 {
		t.Fatalf("want one warning naming peer 192.0.2.1, its clients sharing limits and --trusted-proxies; got %q", w)
	}
}
