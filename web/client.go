package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"

	"boxoffice/forwarded"
	"boxoffice/limit"
)

// client is who made a request, as far as the server can tell: the address
// limits count against and the log names, and whether the request counts as
// TLS (the cookie's name and Secure flag, and HSTS, follow it).
type client struct {
	Addr netip.Addr
	Key  netip.Prefix // limit.Key(Addr): the address, or its IPv6 /64
	TLS  bool
}

type clientCtxKey struct{}

// clientOf returns the client of a request that went through clients.
func clientOf(r *http.Request) client { return clientIn(r.Context()) }

// clientIn returns the client of the request whose context ctx is.
func clientIn(ctx context.Context) client {
	c, _ := ctx.Value(clientCtxKey{}).(client)
	return c
}

// clients resolves each request's client once, for everything inside that
// logs or limits. The first X-Forwarded-For from a peer that is not a
// trusted proxy is worth one warning: a proxy the operator forgot to name
// makes all its clients one client, who then share one set of limits.
func (s *server) clients(next http.Handler) http.Handler {
	var warned atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := peerAddr(r.RemoteAddr)
		xff := r.Header.Values("X-Forwarded-For")
		c := client{Addr: forwarded.Client(s.TrustedProxies, peer, xff)}
		c.Key = limit.Key(c.Addr)
		c.TLS = forwarded.TLS(s.TrustedProxies, peer, r.Header.Values("X-Forwarded-Proto"), r.TLS != nil, s.TrustForwardedProto)
		if len(xff) > 0 && !forwarded.Trusts(s.TrustedProxies, peer) && !warned.Swap(true) {
			s.log.Warn("a peer that is not a trusted proxy sends X-Forwarded-For; every client behind it shares one set of limits; see --trusted-proxies",
				slog.String("peer", peer.String()))
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientCtxKey{}, c)))
	})
}

// peerAddr is the address of the TCP peer from Request.RemoteAddr. A peer
// net/http cannot name (a Unix socket) is the invalid address, one client
// for all such peers.
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	if a, err := netip.ParseAddr(remote); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.Addr{}
}
