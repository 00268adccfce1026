// Package server assembles a whole boxoffice server from its configuration:
// store, live hub, web handler and http.Server, with a graceful shutdown. The
// boxoffice command is a thin shim over Run; tests and the load tool start
// servers in process with Start.
package server

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"boxoffice"
	"boxoffice/demo"
	"boxoffice/internal/openfiles"
	"boxoffice/live"
	"boxoffice/metrics"
	"boxoffice/postgres"
	"boxoffice/sqlite"
	"boxoffice/web"
)

// Run is the boxoffice command: it parses args (without the program name)
// and serves until ctx is cancelled, then shuts down gracefully; or runs
// one of the other commands (migrate, programme) and returns.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	command := "serve"
	if len(args) > 0 {
		switch args[0] {
		case "programme":
			return programmeCommand(ctx, args[1:], getenv, stdin, stdout, stderr)
		case "healthcheck":
			return healthcheckCommand(ctx, args[1:], getenv, stdout, stderr)
		case "version", "-version", "--version":
			return versionCommand(stdout)
		case "backup":
			return backupCommand(ctx, args[1:], getenv, stdout, stderr)
		case "restore":
			return restoreCommand(ctx, args[1:], getenv, stdout, stderr)
		case "serve", "migrate":
			command, args = args[0], args[1:]
		case "help", "-h", "-help", "--help":
			_, _ = ParseConfig([]string{"-help"}, getenv, stdout)
			return nil
		default:
			if args[0] == "" || args[0][0] != '-' {
				return fmt.Errorf("unknown command %q; run boxoffice help", args[0])
			}
		}
	}
	cfg, err := ParseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := NewLogger(cfg, stderr)
	if command == "migrate" {
		return migrate(ctx, cfg, log)
	}
	tuneGC(getenv, log)
	if n, err := openfiles.Limit(); err != nil {
		log.Warn("cannot read the open-files limit", "err", err)
	} else if n > 0 {
		log.Debug("open-files limit", "limit", n)
	}
	srv, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	srv.drainUntilSignal()
	return srv.Shutdown()
}

// NewLogger returns the logger cfg asks for, writing to w.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Server is a running boxoffice server.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store boxoffice.Store
	hub   *live.Hub
	stats *metrics.Metrics
	web   *web.Handler
	http  *http.Server
	ln    *listener
	done  chan error // Serve's result

	// The operator's own listener for /metrics (--metrics-addr); nil
	// when the metrics are served on the public address.
	metricsHTTP *http.Server
	metricsLn   net.Listener
	metricsDone chan error

	stopForgetting func() // ends the periodic deletion of old change logs; nil if none

	stopListening func() // ends the PostgreSQL listener; nil for SQLite

	lock *sqlite.ServerLock // held while serving a SQLite database; nil for PostgreSQL
}

// Start opens the database (seeding the demo programme into an empty one when
// cfg.Demo), starts listening on cfg.Addr and serves in the background.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	// The store pokes the hub after each commit; the hub reads from the
	// store. The closure breaks the cycle: nothing commits before the hub
	// exists, because nothing serves before then.
	var hub *live.Hub
	build := ReadBuild()
	log.Info("starting", build.LogAttrs()...)
	stats := metrics.New()
	stats.SetBuild(build.Version, build.revision(), build.GoVersion)
	// One server to a SQLite file: its hub hears every commit only if
	// this process makes them all, and programme import must know to wait.
	var lock *sqlite.ServerLock
	if !postgres.IsURL(cfg.DB) {
		var err error
		if lock, err = lockSQLite(cfg.DB, "serve"); err != nil {
			return nil, err
		}
	}
	store, err := openStore(ctx, cfg, log, func(show boxoffice.ShowID, v int64) { hub.Committed(show, v) }, stats.Batch)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	pg, shared := store.(*postgres.Store)
	if cfg.wrapStore != nil {
		store = cfg.wrapStore(store)
	}
	// SQLite: this process makes every commit, so the hub hears them all.
	hub = live.NewHub(store, live.Options{Logger: log, Complete: !shared})
	s := &Server{cfg: cfg, log: log, store: store, hub: hub, stats: stats, done: make(chan error, 1), lock: lock}
	if shared {
		// Other instances' commits arrive by NOTIFY; after a reconnect every
		// watched show is re-read from the last version it published.
		listenCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		listened := make(chan struct{})
		hearer := listenerStats{Hub: hub, listening: stats.TrackListener()}
		go func() {
			defer close(listened)
			pg.Listen(listenCtx, hearer)
		}()
		s.stopListening = func() { stop(); <-listened }
	}
	if err := s.start(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// listenerStats passes what the PostgreSQL listener hears to the hub, and
// whether it listens to the metrics.
type listenerStats struct {
	*live.Hub
	listening func(up bool)
}

func (l listenerStats) Lost()   { l.listening(false); l.Hub.Lost() }
func (l listenerStats) Resync() { l.listening(true); l.Hub.Resync() }

// openStore opens the database cfg names, SQLite or PostgreSQL, applying
// pending migrations.
func openStore(ctx context.Context, cfg Config, log *slog.Logger,
	onCommit func(boxoffice.ShowID, int64), onBatch func(int, time.Duration)) (boxoffice.Store, error) {
	var (
		store boxoffice.Store
		err   error
	)
	engine := "sqlite"
	if postgres.IsURL(cfg.DB) {
		engine = "postgres"
		store, err = postgres.Open(ctx, cfg.DB, postgres.Options{Logger: log, OnCommit: onCommit, OnBatch: onBatch, PoolSize: cfg.DBPoolSize})
	} else {
		store, err = sqlite.Open(ctx, cfg.DB, sqlite.Options{Logger: log, OnCommit: onCommit, OnBatch: onBatch})
	}
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", redactDB(cfg.DB), err)
	}
	log.Info("database opened", "db", redactDB(cfg.DB), "engine", engine)
	return store, nil
}

// migrate is the migrate command: it opens the database, which applies
// pending migrations, and closes it.
func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	if !postgres.IsURL(cfg.DB) {
		lock, err := lockSQLite(cfg.DB, "migrate")
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	store, err := openStore(ctx, cfg, log, nil, nil)
	if err != nil {
		return err
	}
	log.Info("database schema is up to date")
	return store.Close()
}

func (s *Server) start(ctx context.Context) error {
	if s.cfg.Demo {
		p, err := demo.Programme(time.Now(), s.cfg.Location)
		if err != nil {
			return err
		}
		seeded, err := s.store.Seed(ctx, p)
		if err != nil {
			return fmt.Errorf("seeding the demo programme: %w", err)
		}
		if seeded {
			s.log.Info("empty database: demo programme added", "halls", len(p.Halls), "shows", len(p.Shows))
		}
	}
	publicMetrics := s.stats.Handler()
	if s.cfg.MetricsAddr != "" {
		publicMetrics = nil // GET /metrics on the public address is then a 404
	}
	s.log.Info("event streams in all", "max_streams", s.cfg.MaxStreams, "from", cmp.Or(s.cfg.maxStreamsFrom, "configuration"))
	var err error
	s.web, err = web.NewHandler(web.Config{
		Store:               s.stats.Store(s.store), // bookings and releases counted by outcome
		Hub:                 s.hub,
		Logger:              s.log,
		Location:            s.cfg.Location,
		TrustForwardedProto: s.cfg.TrustForwardedProto,
		Observer:            s.stats,
		Metrics:             publicMetrics,
		MetricsToken:        s.cfg.MetricsToken,
		AdminToken:          s.cfg.AdminToken,
		DoorToken:           s.cfg.DoorToken,
		PublicURL:           s.cfg.PublicURL,
		AccessLog:           s.cfg.AccessLog,
		MaxSeatsPerGuest:    s.cfg.MaxSeatsPerGuest,
		WriteRate:           s.cfg.WriteRate,
		WriteBurst:          s.cfg.WriteBurst,
		MaxStreamsPerClient: s.cfg.MaxStreamsPerClient,
		MaxStreams:          s.cfg.MaxStreams,
		TrustedProxies:      s.cfg.TrustedProxies,
	})
	if err != nil {
		return err
	}
	s.http = &http.Server{
		Handler:           s.web,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second, // event streams lift it for themselves
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Event streams never end by themselves: without this, Shutdown would
	// wait for them until its timeout.
	s.http.RegisterOnShutdown(s.web.EndStreams)
	if s.cfg.MetricsAddr != "" {
		if s.metricsLn, err = net.Listen("tcp", s.cfg.MetricsAddr); err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		if s.metricsLn != nil {
			s.metricsLn.Close()
		}
		return err
	}
	s.ln = newListener(ln, s.log, s.cfg.MaxConnsPerClient, s.cfg.TrustedProxies, s.stats.Limited)
	s.log.Info("listening", "addr", s.ln.Addr().String(), "url", "http://"+s.URLHost())
	go func() { s.done <- s.http.Serve(s.ln) }()
	if s.metricsLn != nil {
		s.serveMetrics()
	}
	s.forgetHistory()
	return nil
}

// serveMetrics serves /metrics alone on the operator's address, with the
// token rule of the public address.
func (s *Server) serveMetrics() {
	s.metricsHTTP = &http.Server{
		Handler:           web.MetricsHandler(web.Config{Metrics: s.stats.Handler(), MetricsToken: s.cfg.MetricsToken, Logger: s.log}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.metricsDone = make(chan error, 1)
	ln := newListener(s.metricsLn, s.log, 0, nil, nil)
	s.log.Info("serving metrics", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/metrics")
	go func() { s.metricsDone <- s.metricsHTTP.Serve(ln) }()
}

// MetricsAddr is the address /metrics is served on alone (--metrics-addr),
// with the real port; nil when it is served on the public address.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}

// Addr is the address the server listens on, with the real port when the
// configuration asked for port 0.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URLHost is a host:port to reach the server at: a wildcard listen address
// becomes localhost.
func (s *Server) URLHost() string {
	a := s.ln.Addr().(*net.TCPAddr)
	if a.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", a.Port)
	}
	return a.String()
}

// Shutdown stops accepting connections, ends event streams, lets requests in
// flight finish (up to the configured timeout) and then closes, in order and
// each waiting for its goroutines: the handler (streams, seat-map cache),
// the PostgreSQL listener, the hub, the database.
func (s *Server) Shutdown() error {
	timeout := s.cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	s.log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	// The metrics go last: they tell of the shutdown until it is done.
	if s.metricsHTTP != nil {
		err = errors.Join(err, s.metricsHTTP.Shutdown(ctx))
		if serveErr := <-s.metricsDone; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
	}
	err = errors.Join(err, s.close())
	s.log.Info("stopped")
	return err
}

// close stops what reads the store, each waiting for its goroutines, then
// closes the store: nothing reads a closed database.
func (s *Server) close() error {
	if s.stopForgetting != nil {
		s.stopForgetting()
	}
	if s.web != nil {
		s.web.Close()
	}
	if s.stopListening != nil {
		s.stopListening()
	}
	s.hub.Close()
	err := s.store.Close()
	// Only once the store is closed: an import must not start while this
	// process may still write.
	return errors.Join(err, s.lock.Unlock())
}
