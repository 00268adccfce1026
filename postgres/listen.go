package postgres

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
)

// listenerName is the application_name of the listening connection, so an
// operator can tell it from the pool's in pg_stat_activity.
const listenerName = "boxoffice-listener"

// Hearer is told what Listen hears; live.Hub is one.
type Hearer interface {
	// Committed: a commit of show at version, on any instance.
	Committed(show boxoffice.ShowID, version int64)
	// Lost: the connection is gone; commits may go unheard until Resync.
	Lost()
	// Resync: listening (again), after a gap in which commits may have
	// been missed: re-read what matters from the last version seen.
	Resync()
}

// Listen hears every instance's commits (this one's too) through LISTEN on a
// connection of its own, outside the pool, and tells to of each.
// Notifications sent while the connection is down are lost, so after every
// (re)connect Listen calls to.Resync: the hub re-reads each watched show from
// the last version it published, and so misses nothing and repeats nothing.
//
// Listen reconnects after a loss, with backoff, and pings an idle connection
// now and then, so a connection that died silently is noticed. It returns
// when ctx is done.
func (s *Store) Listen(ctx context.Context, to Hearer) {
	const maxBackoff = 5 * time.Second
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		heard, err := s.listen(ctx, to)
		to.Lost()
		if ctx.Err() != nil {
			return
		}
		if heard {
			backoff = 100 * time.Millisecond
		}
		s.opts.Logger.Warn("postgres: listener lost its connection; reconnecting",
			slog.Duration("in", backoff), slog.Any("err", err))
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen runs one connection until it fails; heard reports whether it got as
// far as listening.
func (s *Store) listen(ctx context.Context, to Hearer) (heard bool, err error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	connectCtx, cancel := s.bound(ctx)
	conn, err := pgx.ConnectConfig(connectCtx, cfg)
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel+"; LISTEN "+programmeChannel); err != nil {
		return false, err
	}
	s.opts.Logger.Debug("postgres: listening for changes", "channel", channel)
	s.hearing(true)
	defer s.hearing(false)
	to.Resync()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: make sure the connection still answers.
			pingCtx, cancel := s.bound(ctx)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return true, err
			}
			continue
		case err != nil:
			return true, err
		}
		show, version, ok := parsePayload(n.Payload)
		switch {
		case !ok:
			s.opts.Logger.Warn("postgres: ignoring a notification with an unexpected payload", "payload", n.Payload)
		case n.Channel == programmeChannel:
			s.revise(show, version) // the same commit's version reaches the hub on channel
		default:
			to.Committed(show, version)
		}
	}
}

// parsePayload reads "<show id> <version>"; show ids may contain spaces, the
// version cannot.
func parsePayload(p string) (boxoffice.ShowID, int64, bool) {
	i := strings.LastIndexByte(p, ' ')
	if i < 1 {
		return "", 0, false
	}
	v, err := strconv.ParseInt(p[i+1:], 10, 64)
	if err != nil || v < 1 {
		return "", 0, false
	}
	return boxoffice.ShowID(p[:i]), v, true
}
