// Package metrics counts what an operator of boxoffice watches: requests by
// route and status, seat operations by outcome, the writer's commit batches,
// open event streams. It serves them, with the Go runtime's and the process's
// own, in the Prometheus text format.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"boxoffice"
)

// Metrics is one server's metrics, in a registry of their own.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	seatOps   *prometheus.CounterVec
	batchOps  prometheus.Histogram
	batchTime prometheus.Histogram
	streams   prometheus.Gauge
	closed    *prometheus.CounterVec
	takeovers prometheus.Counter
	limited   *prometheus.CounterVec
	build     *prometheus.GaugeVec
}

// Limits names every limit for boxoffice_limited_total.
var Limits = []string{"seats_per_guest", "write_rate", "streams_per_client", "streams", "conns_per_client", "admin_auth"}

// latencyBuckets reach from a cached seat map (well under a millisecond) to
// a request that timed out.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns the server's metrics, all at zero.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_http_requests_total",
			Help: "HTTP requests answered, by route (the URL pattern, \"unrouted\" for none) and status code.",
		}, []string{"route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boxoffice_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by route. An event stream over plain HTTP/1.1 counts until it is handed to the stream writers; over HTTP/2 or TLS, while it lasts.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		seatOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_seat_operations_total",
			Help: "Bookings and releases by outcome: changed, unchanged (already so), canceled (the caller gave up first), or the error code (taken, not_yours, seat_limit, closed, not_found, invalid, unavailable; error for any other).",
		}, []string{"operation", "result"}),
		batchOps: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "boxoffice_commit_batch_operations",
			Help:    "Bookings and releases made durable by one commit (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		batchTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "boxoffice_commit_batch_duration_seconds",
			Help:    "Time the writer spent on one batch, from its first statement to its durable commit.",
			Buckets: latencyBuckets,
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "boxoffice_event_streams",
			Help: "Event streams open now.",
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_event_streams_closed_total",
			Help: "Event streams ended, by why: left (the guest went away), slow (too far behind, closed by the server), lifetime (its time ran out), server (shutting down, or the show's changes could not be read), cancelled (the show was cancelled: the page stops). All but left and cancelled reconnect and resume.",
		}, []string{"why"}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxoffice_event_stream_takeover_failures_total",
			Help: "Plain HTTP/1.1 event streams that could not be taken over from net/http (a middleware hiding Unwrap, say) and so stayed with their handler, at some ten times the memory. Should stay 0.",
		}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_limited_total",
			Help: "Requests and connections refused by a limit: seats_per_guest, write_rate, streams_per_client, streams (the server-wide cap), conns_per_client, admin_auth (failed admin tokens).",
		}, []string{"limit"}),
		build: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "boxoffice_build_info",
			Help: "1, labelled with the build that serves: module version, VCS revision (unknown when built without it) and Go version.",
		}, []string{"version", "revision", "go_version"}),
	}
	for _, l := range Limits {
		m.limited.WithLabelValues(l) // present at 0, so that a rate() over them works from the start
	}
	m.reg.MustRegister(m.requests, m.durations, m.seatOps, m.batchOps, m.batchTime, m.streams, m.closed, m.takeovers, m.limited, m.build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// TrackListener adds the metrics of an instance that hears other instances'
// commits over PostgreSQL's LISTEN, and returns what to call when the
// listening connection is up (again) or lost.
func (m *Metrics) TrackListener() (listening func(up bool)) {
	up := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "boxoffice_postgres_listener_up",
		Help: "1 while this instance hears other instances' bookings (LISTEN), 0 while it reconnects: its event streams then lag.",
	})
	connects := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "boxoffice_postgres_listener_connects_total",
		Help: "Times the listening connection was (re)established; each time, every watched show is read again.",
	})
	m.reg.MustRegister(up, connects)
	return func(ok bool) {
		if ok {
			up.Set(1)
			connects.Inc()
		} else {
			up.Set(0)
		}
	}
}

// Handler serves the metrics in the Prometheus text format. It leaves
// compression to the middleware around it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true})
}

// SetBuild says which build serves, in boxoffice_build_info: a query can
// then join any series with the version that produced it.
func (m *Metrics) SetBuild(version, revision, goVersion string) {
	m.build.Reset()
	m.build.WithLabelValues(version, revision, goVersion).Set(1)
}

// Request counts one answered request.
func (m *Metrics) Request(route string, status int, took time.Duration) {
	if route == "" {
		route = "unrouted"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route).Observe(took.Seconds())
}

// StreamOpened counts an event stream open.
func (m *Metrics) StreamOpened() { m.streams.Inc() }

// StreamClosed counts an event stream ended, and why.
func (m *Metrics) StreamClosed(why string) {
	m.streams.Dec()
	m.closed.WithLabelValues(why).Inc()
}

// StreamTakeoverFailed counts an event stream that stayed with net/http
// though it should have been taken over.
func (m *Metrics) StreamTakeoverFailed() { m.takeovers.Inc() }

// Limited counts a request or connection refused by limit, one of Limits.
func (m *Metrics) Limited(limit string) { m.limited.WithLabelValues(limit).Inc() }

// Batch counts one commit of the writer: how many operations it made
// durable and how long it took.
func (m *Metrics) Batch(ops int, took time.Duration) {
	m.batchOps.Observe(float64(ops))
	m.batchTime.Observe(took.Seconds())
}

// Store returns s with its bookings and releases counted by outcome.
func (m *Metrics) Store(s boxoffice.Store) boxoffice.Store {
	return &countingStore{Store: s, m: m}
}

type countingStore struct {
	boxoffice.Store
	m *Metrics
}

func (s *countingStore) Book(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest, ticket boxoffice.TicketHash, maxHeld int) (boxoffice.Change, error) {
	c, err := s.Store.Book(ctx, show, seats, guest, ticket, maxHeld)
	s.m.seatOps.WithLabelValues("book", outcome(c, err)).Inc()
	return c, err
}

func (s *countingStore) Release(ctx context.Context, show boxoffice.ShowID, seats []boxoffice.SeatID, guest boxoffice.Guest) (boxoffice.Change, error) {
	c, err := s.Store.Release(ctx, show, seats, guest)
	s.m.seatOps.WithLabelValues("release", outcome(c, err)).Inc()
	return c, err
}

// outcome names a seat operation's result for the result label.
func outcome(c boxoffice.Change, err error) string {
	switch {
	case err == nil && len(c.Seats) > 0:
		return "changed"
	case err == nil:
		return "unchanged"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	if code := boxoffice.ErrorCode(err); code != "" {
		return code
	}
	return "error"
}
