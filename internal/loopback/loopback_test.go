package loopback

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddrSequence(t *testing.T) {
	for _, tc := range []struct {
		i    int
		want string
	}{
		{0, "127.0.0.2"},
		{1, "127.0.0.3"},
		{252, "127.0.0.254"},
		{253, "127.0.1.1"},
		{253 + 254, "127.0.2.1"},
		{Count - 2, "127.255.255.254"},
		{Count - 1, "127.0.0.2"}, // wraps, past 127.0.0.1
	} {
		if got := Addr(tc.i).String(); got != tc.want {
			t.Errorf("Addr(%d) = %s, want %s", tc.i, got, tc.want)
		}
	}
}

// Every address is a distinct loopback address that no client shares by
// default and no tool reads as a network or broadcast address.
func TestAddrsAreDistinctAndUsable(t *testing.T) {
	seen := map[netip.Addr]int{}
	for i := range 200_000 {
		a := Addr(i)
		b := a.As4()
		if !a.Is4() || !a.IsLoopback() || a == netip.MustParseAddr("127.0.0.1") || b[3] == 0 || b[3] == 255 {
			t.Fatalf("Addr(%d) = %s", i, a)
		}
		if j, ok := seen[a]; ok {
			t.Fatalf("Addr(%d) = Addr(%d) = %s", i, j, a)
		}
		seen[a] = i
	}
}

// The server sees each connection come from the address asked for, whether
// the target is given as an address or as localhost.
func TestDialerSourceAddress(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, i := range []int{0, 1, 253, 70_000} {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			c, err := NewDialer(i).DialContext(t.Context(), "tcp", net.JoinHostPort(host, port))
			if err != nil {
				t.Fatalf("dial %s from %s: %v", host, Addr(i), err)
			}
			peer, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			got := peer.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
			peer.Close()
			c.Close()
			if got != Addr(i) {
				t.Errorf("dialing %s as client %d: the server sees %s, want %s", host, i, got, Addr(i))
			}
		}
	}
}

func TestTransportSourceAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.RemoteAddr)
	}))
	defer srv.Close()
	for _, i := range []int{0, 7} {
		hc := &http.Client{Transport: Transport(i)}
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		hc.CloseIdleConnections()
		ap, err := netip.ParseAddrPort(string(body))
		if err != nil || ap.Addr() != Addr(i) {
			t.Errorf("client %d: the server saw %q, want %s", i, body, Addr(i))
		}
	}
}

// A target off the loopback network is refused before any packet is sent,
// with an error that says why.
func TestRefusesOtherTargets(t *testing.T) {
	for _, target := range []string{"192.0.2.1:80", "[::1]:80", "example.com:80", "10.0.0.1"} {
		if err := CheckTarget(target); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckTarget(%q) = %v, want ErrNotLoopback", target, err)
		}
	}
	if _, err := NewDialer(0).Dial("tcp", "192.0.2.1:80"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("dial 192.0.2.1 = %v, want ErrNotLoopback", err)
	}
	for _, target := range []string{"127.0.0.1:8080", "127.9.9.9", "LOCALHOST:1", "[::ffff:127.0.0.1]:80"} {
		if err := CheckTarget(target); err != nil {
			t.Errorf("CheckTarget(%q) = %v, want nil", target, err)
		}
	}
}
