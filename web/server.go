// Package web is boxoffice's HTTP face: the JSON API, the server-rendered seat
// map, the live event stream and the middleware around them. Handlers are
// thin: they decode, call the store, and encode; the rules live in the store
// and the domain.
package web

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"boxoffice"
	"boxoffice/live"
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
}

// Observer hears what the handler serves.
type Observer interface {
	// Request is called once a request is answered, with its route (the
	// URL pattern that matched, "" for none), status and duration.
	Request(route string, status int, took time.Duration)
	// StreamOpened and StreamClosed are called as each event stream starts
	// and ends; why is one of the Closed* reasons.
	StreamOpened()
	StreamClosed(why string)
}

// Why an event stream ended. In every case but the first the browser
// reconnects and resumes from the last event it has.
const (
	ClosedLeft     = "left"     // the guest went away: the page closed, the network dropped
	ClosedSlow     = "slow"     // too far behind: the guest's connection did not take the events in time
	ClosedLifetime = "lifetime" // the stream's lifetime (Config.StreamLifetime) ran out
	ClosedServer   = "server"   // the server is shutting down, or could not read the show's changes
)

type nopObserver struct{}

func (nopObserver) Request(string, int, time.Duration) {}
func (nopObserver) StreamOpened()                      {}
func (nopObserver) StreamClosed(string)                {}

type server struct {
	Config
	log    *slog.Logger
	assets *assets
	pages  *pages
	maps   seatMaps
	shows  sync.Map // boxoffice.ShowID → boxoffice.Show, see pathShow
	// streams writes the event streams taken over from net/http.
	streams *streamSet
}

// NewHandler returns the whole HTTP surface of boxoffice.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.StreamLifetime <= 0 {
		cfg.StreamLifetime = 30 * time.Minute
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	s := &server{Config: cfg, log: cfg.Logger}
	s.streams = newStreamSet(cfg.Hub, cfg.Logger, cfg.Heartbeat, cfg.StreamLifetime)
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(s.assets); err != nil {
		return nil, err
	}
	return s.routes()
}
