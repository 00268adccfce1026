// Package forwarded decides who a request's client is, and whether it came
// over TLS, when proxies stand between the client and the server. Only the
// proxies the operator names are believed: anyone else can write any
// X-Forwarded-For they like, and a limit keyed on a header an attacker
// writes limits nothing. It is pure: addresses and header lines in, an
// address out.
package forwarded

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseProxies reads a list of trusted proxies: comma-separated CIDRs or
// single addresses (a single address is its /32 or /128), spaces around
// entries allowed. The empty string is no proxies.
func ParseProxies(s string) ([]netip.Prefix, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		p, err := parseProxy(strings.TrimSpace(entry))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parseProxy(entry string) (netip.Prefix, error) {
	if entry == "" {
		return netip.Prefix{}, fmt.Errorf("trusted proxies: an empty entry (a stray comma?)")
	}
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxies: %q is not a CIDR range", entry)
		}
		// Clients' IPv4-mapped addresses are read as IPv4, so a mapped
		// range must be too, or it would never match anyone.
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				// Wider than all of the mapped space: it reaches into
				// IPv6 addresses no client is ever read as.
				return netip.Prefix{}, fmt.Errorf("trusted proxies: %q is an IPv4-mapped range wider than /96", entry)
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxies: %q is neither an IP address nor a CIDR range", entry)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("trusted proxies: %q has an IPv6 zone, which names a local interface, not a proxy", entry)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Trusts tells whether a is one of the proxies.
func Trusts(proxies []netip.Prefix, a netip.Addr) bool {
	a = normal(a)
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// normal is the form addresses are compared and returned in: IPv4-mapped
// IPv6 read as IPv4 (the same client either way), and no zone (a zone names
// an interface of whoever wrote it, and netip.Prefix.Contains never matches
// a zoned address).
func normal(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}

// Client returns the client's address, given the TCP peer and the request's
// X-Forwarded-For header lines, in order. From a peer that is not a trusted
// proxy the header is ignored: the client is the peer. Otherwise the header
// is read from the right, where the proxies we trust appended what they saw,
// skipping trusted proxies: the first other entry is the client. An entry
// that is not an IP address (garbage, "unknown", an obfuscated name) ends
// the walk at the trusted hop to its right, the last address we can vouch
// for. If every entry is trusted, the client is the left-most.
func Client(proxies []netip.Prefix, peer netip.Addr, xff []string) netip.Addr {
	peer = normal(peer)
	if len(xff) == 0 || !Trusts(proxies, peer) {
		return peer
	}
	entries := strings.Split(strings.Join(xff, ","), ",")
	hop := peer
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseEntry(entries[i])
		if !ok {
			return hop
		}
		if !Trusts(proxies, a) {
			return a
		}
		hop = a
	}
	return hop
}

// parseEntry reads one X-Forwarded-For element: an address, with or without
// a port ("192.0.2.1:56", "[2001:db8::1]:56"), or a bracketed IPv6 address.
func parseEntry(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return normal(a), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normal(ap.Addr()), true
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil && a.Is6() {
				return normal(a), true
			}
		}
	}
	return netip.Addr{}, false
}

// Scheme is the scheme a proxy says the client used: the last
// X-Forwarded-Proto value (the last element of the last line), since each
// proxy appends what it saw and the last one is the proxy we talk to.
func Scheme(xfp []string) string {
	if len(xfp) == 0 {
		return ""
	}
	last := xfp[len(xfp)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.TrimSpace(last)
}

// TLS tells whether a request counts as made over TLS: it came over TLS
// itself (direct), or a trusted proxy says its client used https, or the
// operator trusts X-Forwarded-Proto from anyone (trustProto: the server
// sits behind a proxy it cannot name, which sets the header on every
// request).
func TLS(proxies []netip.Prefix, peer netip.Addr, xfp []string, direct, trustProto bool) bool {
	if direct {
		return true
	}
	if !strings.EqualFold(Scheme(xfp), "https") {
		return false
	}
	return trustProto || Trusts(proxies, peer)
}
