package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"boxoffice/internal/pgtemp"
	"boxoffice/postgres"
	"boxoffice/server"
)

// startTarget returns the base URLs to drive (the first is where the tool
// reads the show and the final state) and the process whose memory to
// follow, starting a server in process when there is no --target.
func startTarget(ctx context.Context, cfg Config, rep *Report, stderr io.Writer) (bases []string, pid int, stop func(), err error) {
	if len(cfg.Targets) > 0 {
		rep.Server, rep.Limits = cfg.Target, "the target's own"
		if cfg.ServerPID == 0 {
			rep.RSSNote = "give --server-pid to see the server's memory"
		} else {
			rep.RSSNote = fmt.Sprintf("process %d", cfg.ServerPID)
		}
		return cfg.Targets, cfg.ServerPID, func() {}, nil
	}
	cleanup := func() {}
	db := cfg.DB
	engine := "postgres"
	switch {
	case postgres.IsURL(db):
		// A fresh database on that server, dropped at the end.
		fresh, drop, err := pgtemp.Create(ctx, db, "boxoffice_load_")
		if err != nil {
			return nil, 0, nil, fmt.Errorf("--db: %w (the role needs CREATEDB)", err)
		}
		db, cleanup = fresh, func() {
			if err := drop(); err != nil {
				fmt.Fprintln(stderr, err)
			}
		}
	case db == "sqlite":
		engine = "sqlite"
		dir, err := os.MkdirTemp("", "boxoffice-load-")
		if err != nil {
			return nil, 0, nil, err
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		db = filepath.Join(dir, "load.db")
	default:
		engine = "sqlite"
		if _, err := os.Stat(db); err == nil {
			return nil, 0, nil, fmt.Errorf("--db %s exists; the tool starts on a fresh database, so give a new file", db)
		}
	}
	if cfg.Scenario == ScenarioWatch || cfg.Scenario == ScenarioOnsale {
		// Both ends of every stream and guest's connection are in this process.
		if need := uint64(2*cfg.Watchers + 2*cfg.Guests + 256); rep.OpenFile != 0 && need > rep.OpenFile {
			cleanup()
			return nil, 0, nil, fmt.Errorf("in process, %d watchers and %d guests need about %d open files (both ends of each connection) and the limit is %d: "+
				"start boxoffice separately and use --target (onsale: or lower --guests, the guests alive at once)", cfg.Watchers, cfg.Guests, need, rep.OpenFile)
		}
	}
	// onsale stands for guests in the wild, who meet the server's limits.
	limits := cfg.Limits || cfg.Scenario == ScenarioOnsale
	sc, err := serverConfig(limits)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	sc.Addr, sc.DB, sc.Demo, sc.Location = "127.0.0.1:0", db, true, time.Local
	sc.LogFormat, sc.LogLevel, sc.ShutdownTimeout = "text", slog.LevelWarn, 5*time.Second
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Start(ctx, sc, log)
	if err != nil {
		cleanup()
		return nil, 0, nil, fmt.Errorf("starting boxoffice in process: %w", err)
	}
	rep.Server = "in process (" + engine + ")"
	rep.Limits = "off"
	if limits {
		rep.Limits = "on (defaults)"
	}
	rep.RSSNote = "in process: the tool's own memory is included"
	return []string{"http://" + srv.URLHost()}, os.Getpid(), func() {
		_ = srv.Shutdown()
		cleanup()
	}, nil
}

// serverConfig is the in-process server's configuration before the tool
// sets where it listens and what it opens: with every limit off (a zero
// limit in server.Config is off), or with limits the defaults the boxoffice
// command starts with. Those come from its flag parsing, given no flags and
// an empty environment: BOXOFFICE_* variables of the tool's own process are
// ignored, so that a run says what it measured.
func serverConfig(limits bool) (server.Config, error) {
	if !limits {
		return server.Config{}, nil
	}
	sc, err := server.ParseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		return sc, fmt.Errorf("--limits: the server's defaults: %w", err)
	}
	return sc, nil
}

// seatPool is the seats the guests use, and for groups every run of 2 to 6
// adjacent seats among them (same row, neighbouring places).
func seatPool(cfg Config, seats []seatInfo) (pool []string, groups [][]string, err error) {
	n := cfg.Seats
	if n == 0 {
		n = len(seats)
		if cfg.Scenario == ScenarioHot {
			n = min(4, n)
		}
	}
	if n > len(seats) {
		return nil, nil, fmt.Errorf("--seats %d: the show has only %d seats", n, len(seats))
	}
	if n == 0 {
		return nil, nil, errors.New("the show has no seats")
	}
	for _, s := range seats[:n] {
		pool = append(pool, s.ID)
	}
	if cfg.Scenario != ScenarioGroups {
		return pool, nil, nil
	}
	use := seats[:n]
	for i := range use {
		for k := 2; k <= 6 && i+k <= len(use); k++ {
			last, prev := use[i+k-1], use[i+k-2]
			if last.Row != use[i].Row || last.Y != prev.Y || last.X != prev.X+1 {
				break
			}
			g := make([]string, k)
			for j := range k {
				g[j] = use[i+j].ID
			}
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("no two of the %d seats used are adjacent", n)
	}
	return pool, groups, nil
}
