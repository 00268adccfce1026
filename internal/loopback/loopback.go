// Package loopback gives each simulated client a source address of its own
// on the loopback network, so that tests and the load tool can stand for many
// guests behind many addresses, as a server that limits per client address
// sees them in the wild.
//
// Linux routes all of 127.0.0.0/8 to the loopback interface, so a socket may
// be bound to 127.0.0.2, 127.0.0.3, … without any setup, and a server on
// 127.0.0.1 sees each as a different peer. Other systems (macOS, the BSDs)
// configure 127.0.0.1 alone; there dialing from any other source fails with
// the system's "cannot assign requested address".
//
// Source addresses on the loopback network reach only loopback targets: a
// packet from 127.0.0.2 cannot leave the machine. Dialers here refuse any
// other target with ErrNotLoopback before they dial, rather than let the
// kernel answer with a puzzling error.
package loopback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// ErrNotLoopback is the error for a target outside 127.0.0.0/8.
var ErrNotLoopback = errors.New("a loopback source address reaches only a target in 127.0.0.0/8 or localhost")

// perBlock is the usable last octets of a /24: 1 to 254, never the network's
// .0 nor its broadcast .255, which some tools read as special.
const perBlock = 254

// Count is how many distinct addresses Addr gives before it wraps: every
// 127.a.b.c with c from 1 to 254, but 127.0.0.1, the machine's own.
const Count = 256 * 256 * perBlock

// Addr is the i-th source address: 127.0.0.2 for 0, 127.0.0.3 for 1, and so
// on across 127.x.y.z, skipping .0 and .255 and never 127.0.0.1 (which
// clients that set no source address share); after Count addresses it wraps.
// i must not be negative.
func Addr(i int) netip.Addr {
	if i < 0 {
		panic(fmt.Sprintf("loopback.Addr(%d): want 0 or more", i))
	}
	// j counts the sequence that would start at 127.0.0.1; 0 is skipped.
	j := i%(Count-1) + 1
	return netip.AddrFrom4([4]byte{127, byte(j / (256 * perBlock)), byte(j / perBlock % 256), byte(j%perBlock + 1)})
}

// Dialer dials from one loopback source address, and only to loopback
// targets. Its Timeout, KeepAlive and other fields are net.Dialer's; its
// LocalAddr is set by the package and should be left alone.
type Dialer struct {
	net.Dialer
}

// NewDialer returns a dialer whose connections leave from Addr(i).
func NewDialer(i int) *Dialer {
	return &Dialer{net.Dialer{LocalAddr: &net.TCPAddr{IP: Addr(i).AsSlice()}}}
}

// DialContext is net.Dialer's, refusing a target that is not on the
// loopback network with ErrNotLoopback.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if err := CheckTarget(address); err != nil {
		return nil, err
	}
	return d.Dialer.DialContext(ctx, network, address)
}

// Dial is DialContext without a context.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// Transport is an HTTP transport whose connections leave from Addr(i): http's
// default settings, without a proxy (which would be the peer the server
// sees).
func Transport(i int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	d := NewDialer(i)
	d.Timeout, d.KeepAlive = defaultDialer.Timeout, defaultDialer.KeepAlive
	t.DialContext = d.DialContext
	return t
}

// defaultDialer mirrors the settings of http.DefaultTransport's dialer.
var defaultDialer = net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}

// CheckTarget says whether address (host:port, or a host alone) can be reached
// from a loopback source address: an IPv4 address in 127.0.0.0/8 (IPv4-mapped
// IPv6 included) or the name localhost. Other names are refused without being
// looked up, so the answer does not depend on a resolver.
func CheckTarget(address string) error {
	host := address
	if h, _, err := net.SplitHostPort(address); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip = ip.Unmap(); ip.Is4() && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%w; %q is not one", ErrNotLoopback, host)
}
