package web

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// clients puts into each request's context who its client is, the limit
// key and whether it counts as TLS, by the rule of package forwarded.
func TestClientInContext(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name       string
		remote     string
		header     []string
		tls        bool
		trustProto bool
		want       client
	}{
		{"the peer", "192.0.2.1:4000", nil, false, false,
			client{netip.MustParseAddr("192.0.2.1"), netip.MustParsePrefix("192.0.2.1/32"), false}},
		{"a mapped peer is IPv4", "[::ffff:192.0.2.1]:4000", nil, false, false,
			client{netip.MustParseAddr("192.0.2.1"), netip.MustParsePrefix("192.0.2.1/32"), false}},
		{"an IPv6 peer's key is its /64", "[2001:db8:1:2:3::9]:4000", nil, false, false,
			client{netip.MustParseAddr("2001:db8:1:2:3::9"), netip.MustParsePrefix("2001:db8:1:2::/64"), false}},
		{"direct TLS", "192.0.2.1:4000", nil, true, false,
			client{netip.MustParseAddr("192.0.2.1"), netip.MustParsePrefix("192.0.2.1/32"), true}},
		{"behind a trusted proxy", "10.0.0.1:4000",
			[]string{"X-Forwarded-For", "198.51.100.7", "X-Forwarded-Proto", "https"}, false, false,
			client{netip.MustParseAddr("198.51.100.7"), netip.MustParsePrefix("198.51.100.7/32"), true}},
		{"an untrusted peer's headers are ignored", "192.0.2.1:4000",
			[]string{"X-Forwarded-For", "198.51.100.7", "X-Forwarded-Proto", "https"}, false, false,
			client{netip.MustParseAddr("192.0.2.1"), netip.MustParsePrefix("192.0.2.1/32"), false}},
		{"trust-forwarded-proto believes anyone's https", "192.0.2.1:4000",
			[]string{"X-Forwarded-Proto", "https"}, false, true,
			client{netip.MustParseAddr("192.0.2.1"), netip.MustParsePrefix("192.0.2.1/32"), true}},
		{"X-Real-IP and Forwarded are ignored", "10.0.0.1:4000",
			[]string{"X-Real-IP", "198.51.100.8", "Forwarded", "for=198.51.100.9;proto=https"}, false, false,
			client{netip.MustParseAddr("10.0.0.1"), netip.MustParsePrefix("10.0.0.1/32"), false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{Config: Config{TrustedProxies: proxies, TrustForwardedProto: tc.trustProto},
				log: slog.New(slog.DiscardHandler)}
			var got client
			h := s.clients(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = clientOf(r) }))
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for i := 0; i+1 < len(tc.header); i += 2 {
				req.Header.Add(tc.header[i], tc.header[i+1])
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tc.want {
				t.Errorf("clientOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}
