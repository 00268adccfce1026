package forwarded

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseProxies(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the prefixes, space-separated
	}{
		{"", ""},
		{"   ", ""},
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"192.0.2.7", "192.0.2.7/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{" 10.0.0.0/8 , 2001:db8::/32,192.0.2.7 ", "10.0.0.0/8 2001:db8::/32 192.0.2.7/32"},
		{"10.1.2.3/8", "10.0.0.0/8"},          // host bits cleared
		{"::ffff:192.0.2.7", "192.0.2.7/32"},  // mapped: as clients are read
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"}, // a mapped range too
		{"::ffff:0:0/96", "0.0.0.0/0"},        // the whole mapped space: every IPv4 address
		{"fd00::/8,127.0.0.1", "fd00::/8 127.0.0.1/32"},
	} {
		got, err := ParseProxies(tc.in)
		if err != nil {
			t.Errorf("ParseProxies(%q): %v", tc.in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if strings.Join(s, " ") != tc.want {
			t.Errorf("ParseProxies(%q) = %v, want %s", tc.in, s, tc.want)
		}
	}
}

func TestParseProxiesNamesTheBadEntry(t *testing.T) {
	for _, tc := range []struct{ in, bad string }{
		{"10.0.0.0/8, proxy.example", `"proxy.example"`},
		{"10.0.0.0/33", `"10.0.0.0/33"`},
		{"10.0.0.0/8,,192.0.2.1", "empty entry"},
		{"10.0.0.0/8,", "empty entry"},
		{"192.0.2.1:80", `"192.0.2.1:80"`},
		{"fe80::1%eth0", `"fe80::1%eth0"`},
		{"10.0.0.0/x", `"10.0.0.0/x"`},
		{"::ffff:0:0/90", `"::ffff:0:0/90"`},
		{"[2001:db8::1]", `"[2001:db8::1]"`},
	} {
		_, err := ParseProxies(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("ParseProxies(%q) = %v, want an error naming %s", tc.in, err, tc.bad)
		}
	}
}

func mustProxies(t testing.TB, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClient(t *testing.T) {
	const proxies = "10.0.0.0/8, 2001:db8:ffff::/48"
	for _, tc := range []struct {
		name    string
		proxies string
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies: the peer", "", "192.0.2.1", []string{"198.51.100.9"}, "192.0.2.1"},
		{"untrusted peer: header ignored", proxies, "192.0.2.1", []string{"198.51.100.9"}, "192.0.2.1"},
		{"trusted peer, no header: the peer", proxies, "10.0.0.1", nil, "10.0.0.1"},
		{"trusted peer: its client", proxies, "10.0.0.1", []string{"198.51.100.9"}, "198.51.100.9"},
		{"right-most untrusted wins over spoofed left entries", proxies, "10.0.0.1",
			[]string{"203.0.113.66, 198.51.100.9"}, "198.51.100.9"},
		{"trusted hops are skipped", proxies, "10.0.0.1",
			[]string{"203.0.113.66, 198.51.100.9, 10.1.1.1, 10.2.2.2"}, "198.51.100.9"},
		{"lines are joined in order", proxies, "10.0.0.1",
			[]string{"203.0.113.66", "198.51.100.9, 10.1.1.1", "10.2.2.2"}, "198.51.100.9"},
		{"spaces trimmed", proxies, "10.0.0.1", []string{"  198.51.100.9  ,   10.1.1.1 "}, "198.51.100.9"},
		{"IPv4 port dropped", proxies, "10.0.0.1", []string{"198.51.100.9:4711"}, "198.51.100.9"},
		{"IPv6 port dropped", proxies, "10.0.0.1", []string{"[2001:db8:1::7]:4711"}, "2001:db8:1::7"},
		{"bracketed IPv6 without port", proxies, "10.0.0.1", []string{"[2001:db8:1::7]"}, "2001:db8:1::7"},
		{"plain IPv6", proxies, "10.0.0.1", []string{"2001:db8:1::7"}, "2001:db8:1::7"},
		{"IPv6 proxy", proxies, "2001:db8:ffff::1", []string{"198.51.100.9, 2001:db8:ffff::2"}, "198.51.100.9"},
		{"mapped client read as IPv4", proxies, "10.0.0.1", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
		{"mapped trusted hop skipped", proxies, "10.0.0.1", []string{"198.51.100.9, ::ffff:10.3.3.3"}, "198.51.100.9"},
		{"mapped peer is trusted", proxies, "::ffff:10.0.0.1", []string{"198.51.100.9"}, "198.51.100.9"},
		{"mapped untrusted peer returned as IPv4", proxies, "::ffff:192.0.2.1", []string{"198.51.100.9"}, "192.0.2.1"},
		{"zone dropped", proxies, "10.0.0.1", []string{"fe80::1%eth0"}, "fe80::1"},
		{"garbage right-most: the peer", proxies, "10.0.0.1", []string{"198.51.100.9, unknown"}, "10.0.0.1"},
		{"garbage: the trusted hop to its right", proxies, "10.0.0.1",
			[]string{"198.51.100.9, _hidden, 10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage left of the client does not matter", proxies, "10.0.0.1",
			[]string{"nonsense, 198.51.100.9, 10.1.1.1"}, "198.51.100.9"},
		{"empty header: the peer", proxies, "10.0.0.1", []string{""}, "10.0.0.1"},
		{"every entry trusted: the left-most", proxies, "10.0.0.1",
			[]string{"10.9.9.9, 10.1.1.1", "10.2.2.2"}, "10.9.9.9"},
		{"a host name is not an IP", proxies, "10.0.0.1", []string{"client.example"}, "10.0.0.1"},
		{"bracketed IPv4 is not an entry", proxies, "10.0.0.1", []string{"[198.51.100.9]:80"}, "10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Client(mustProxies(t, tc.proxies), netip.MustParseAddr(tc.peer), tc.xff)
			if got.String() != tc.want {
				t.Errorf("Client(peer %s, X-Forwarded-For %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

func TestScheme(t *testing.T) {
	for _, tc := range []struct {
		xfp  []string
		want string
	}{
		{nil, ""},
		{[]string{"https"}, "https"},
		{[]string{" https "}, "https"},
		{[]string{"http, https"}, "https"},
		{[]string{"https, http"}, "http"},
		{[]string{"https", "http"}, "http"},
		{[]string{"http", "https ,  https"}, "https"},
		{[]string{"https,"}, ""},
	} {
		if got := Scheme(tc.xfp); got != tc.want {
			t.Errorf("Scheme(%q) = %q, want %q", tc.xfp, got, tc.want)
		}
	}
}

func TestTLS(t *testing.T) {
	proxies := mustProxies(t, "10.0.0.0/8")
	trusted, other := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.1")
	https, http := []string{"https"}, []string{"http"}
	for _, tc := range []struct {
		name       string
		peer       netip.Addr
		xfp        []string
		direct     bool
		trustProto bool
		want       bool
	}{
		{"direct TLS", other, nil, true, false, true},
		{"direct TLS whatever a header says", other, http, true, false, true},
		{"plain, no header", other, nil, false, false, false},
		{"trusted proxy says https", trusted, https, false, false, true},
		{"trusted proxy says HTTPS", trusted, []string{"HTTPS"}, false, false, true},
		{"trusted proxy says http", trusted, http, false, false, false},
		{"trusted proxy, last value counts", trusted, []string{"https, http"}, false, false, false},
		{"untrusted peer says https", other, https, false, false, false},
		{"trust-forwarded-proto: any peer", other, https, false, true, true},
		{"trust-forwarded-proto: last value counts", other, []string{"https", "http"}, false, true, false},
		{"trust-forwarded-proto, no header", other, nil, false, true, false},
	} {
		if got := TLS(proxies, tc.peer, tc.xfp, tc.direct, tc.trustProto); got != tc.want {
			t.Errorf("%s: TLS = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzClient feeds Client arbitrary headers. Whatever they say, the answer
// is a valid address, never IPv4-mapped, and one we were told: the peer or
// one of the header's entries (a trusted hop is one of those too).
func FuzzClient(f *testing.F) {
	f.Add("10.0.0.0/8", "10.0.0.1", "198.51.100.9, 10.1.1.1")
	f.Add("10.0.0.0/8", "10.0.0.1", "203.0.113.1\n198.51.100.9:80, unknown, 10.2.2.2")
	f.Add("2001:db8::/32", "2001:db8::1", "[2001:db8:1::7]:4711, ::ffff:10.0.0.1")
	f.Add("", "192.0.2.1", "198.51.100.9")
	f.Add("0.0.0.0/0,::/0", "::ffff:10.0.0.1", "fe80::1%eth0,,")
	f.Fuzz(func(t *testing.T, proxies, peer, xff string) {
		ps, err := ParseProxies(proxies)
		if err != nil {
			return
		}
		p, err := netip.ParseAddr(peer)
		if err != nil {
			return
		}
		var lines []string
		if xff != "" {
			lines = strings.Split(xff, "\n")
		}
		got := Client(ps, p, lines)
		if !got.IsValid() || got.Is4In6() || got.Zone() != "" {
			t.Fatalf("Client = %v: want a valid address, unmapped, without zone", got)
		}
		told := []netip.Addr{normal(p)}
		for _, e := range strings.Split(strings.Join(lines, ","), ",") {
			if a, ok := parseEntry(e); ok {
				told = append(told, a)
			}
		}
		if !slices.Contains(told, got) {
			t.Fatalf("Client = %v, which is neither the peer nor an entry of %q", got, xff)
		}
	})
}
