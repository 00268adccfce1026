package server

import (
	"fmt"
	"net/netip"
	"strings"
)

// parseProxies reads --trusted-proxies: comma-separated CIDRs or single
// IPv4/IPv6 addresses; empty means none. An IPv4-mapped IPv6 entry becomes
// the IPv4 one, because peers are compared unmapped and would otherwise
// never match.
//
// It has the contract of forwarded.ParseProxies, written by another part of
// issue 12 in parallel; one of the two is to stay.
func parseProxies(s string) ([]netip.Prefix, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		p, err := parseProxy(entry)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parseProxy(entry string) (netip.Prefix, error) {
	if entry == "" {
		return netip.Prefix{}, fmt.Errorf("trusted proxies: an empty entry (two commas, or one at an end)")
	}
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxies: %q is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32", entry)
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, fmt.Errorf("trusted proxies: %q mixes IPv4-mapped and other IPv6 addresses", entry)
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxies: %q is neither an IP address nor a CIDR", entry)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("trusted proxies: %q has a zone, which no peer address carries", entry)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// trusted tells whether a is one of the proxies.
func trusted(proxies []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
