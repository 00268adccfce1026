// Package web is boxoffice's HTTP face: the JSON API, the server-rendered seat
// map, the middleware around them, and the event stream's handler, which
// parses the request and hands the stream to package stream. Handlers are
// thin: they decode, call the store, and encode; the rules live in the store
// and the domain.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"boxoffice"
	"boxoffice/limit"
	"boxoffice/live"
	"boxoffice/stream"
)

// Config is what the handler needs.
type Config struct {
	Store  boxoffice.Store
	Hub    *live.Hub
	Logger *slog.Logger
	// Location is the cinema's time zone, used to show start times.
	Location *time.Location
	// Now is the clock deciding whether a show's sales are open; nil means
	// time.Now. The store enforces the rule; pages use it to disable seats.
	Now func() time.Time
	// TrustForwardedProto makes X-Forwarded-Proto: https count as TLS for the
	// guest cookie's Secure flag. Only behind a proxy that sets it.
	TrustForwardedProto bool
	// Heartbeat is how often an idle event stream gets a comment. Default 15s.
	Heartbeat time.Duration
	// StreamLifetime bounds one event stream; the browser reconnects and
	// resumes. Default 30 minutes.
	StreamLifetime time.Duration
	// Observer hears every request and event stream, for metrics. Nil
	// hears nothing.
	Observer Observer
	// Metrics, if set, is served at GET /metrics.
	Metrics http.Handler
	// MetricsToken, if set, is what GET /metrics wants as its bearer token
	// (Authorization: Bearer …); empty serves the metrics to anyone.
	MetricsToken string
	// AdminToken is what the admin API (/api/admin/…) wants as its bearer
	// token, at least MinAdminTokenLength characters; empty: the admin API
	// does not exist (404).
	AdminToken string
	// DoorToken, if set (at least MinAdminTokenLength characters, and not
	// the admin token), opens a door-only session or bearer access: the
	// check-in page, tickets' Admit button and the admit route. It works
	// only alongside an AdminToken.
	DoorToken string
	// PublicURL, if set, is the site's address as guests reach it
	// (scheme and host, no path, no trailing slash): ticket
	// links and QR codes are made from it. Empty: from each request's
	// scheme and host.
	PublicURL string
	// AccessLog says which requests get a line in the log: all of them
	// (the zero value), those answered 400 or more, or none. The
	// observer hears every request whatever it says.
	AccessLog AccessLog

	// Limits, each off at zero: the defaults live in the server's flag
	// parsing, so a handler built from this struct limits nothing unless
	// asked. Limits count per client address (see TrustedProxies), an IPv4
	// address or an IPv6 /64.

	// MaxSeatsPerGuest is how many seats one guest may hold in one show.
	MaxSeatsPerGuest int
	// WriteRate is how many seat writes a second one client address may
	// make, from a bucket holding WriteBurst (at least 1 when WriteRate is
	// set).
	WriteRate  float64
	WriteBurst int
	// MaxStreamsPerClient bounds the open event streams of one address;
	// MaxStreams those of all addresses together.
	MaxStreamsPerClient int
	MaxStreams          int
	// TrustedProxies are the proxies in front, whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; empty believes nobody's.
	TrustedProxies []netip.Prefix
}

// Observer hears what the handler serves.
type Observer interface {
	// Request is called once a request is answered, with its route (the
	// URL pattern that matched, "" for none), status and duration.
	Request(route string, status int, took time.Duration)
	// Limited is called once for each request refused by a limit: one of
	// seats_per_guest, write_rate, streams_per_client, streams, admin_auth.
	Limited(limit string)
	// The event streams' starts and ends, and failed takeovers.
	stream.Observer
}

type nopObserver struct{}

func (nopObserver) Request(string, int, time.Duration) {}
func (nopObserver) StreamOpened()                      {}
func (nopObserver) StreamClosed(string)                {}
func (nopObserver) StreamTakeoverFailed()              {}
func (nopObserver) Limited(string)                     {}

type server struct {
	Config
	log     *slog.Logger
	assets  *assets
	pages   *pages
	maps    *seatMaps
	streams *stream.Engine
	// warnings lets through one warning per client address a minute
	// about the limits it meets (refusals.go).
	warnings *limit.Rate
	// draining makes /readyz answer 503 while the rest serves on
	// (Handler.Drain).
	draining atomic.Bool
}

// Handler is the whole HTTP surface of boxoffice.
type Handler struct {
	http.Handler
	s *server
}

// EndStreams ends every event stream (the browsers reconnect and resume)
// and refuses new ones, returning once they have ended. A server shutting
// down calls it as it stops taking requests: streams never end by
// themselves.
func (h *Handler) EndStreams() { h.s.streams.Close() }

// Drain makes /readyz answer 503 from now on while everything else keeps
// serving, so that load balancers stop sending guests here before the
// server shuts down (--shutdown-delay).
func (h *Handler) Drain() { h.s.draining.Store(true) }

// Close ends the event streams and stops following the hub; it returns once
// nothing reads the hub or the store on the handler's behalf. Requests
// answered afterwards may fail: close the http.Server first.
func (h *Handler) Close() {
	h.s.streams.Close()
	h.s.maps.close()
}

// NewHandler returns the whole HTTP surface of boxoffice.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	s := &server{Config: cfg, log: cfg.Logger, maps: newSeatMaps(cfg.Store, cfg.Hub), warnings: limit.NewRate(1.0/60, 1, 0)}
	s.streams = stream.New(stream.Config{Hub: cfg.Hub, Logger: cfg.Logger,
		Heartbeat: cfg.Heartbeat, Lifetime: cfg.StreamLifetime, Observer: cfg.Observer,
		MaxStreamsPerClient: cfg.MaxStreamsPerClient, MaxStreams: cfg.MaxStreams, Snapshot: s.streamSnapshot})
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(s.assets); err != nil {
		return nil, err
	}
	h, err := s.routes()
	if err != nil {
		return nil, err
	}
	return &Handler{Handler: h, s: s}, nil
}
