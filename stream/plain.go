package stream

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"boxoffice"
	"boxoffice/live"
)

// follow serves a stream that stays with net/http until it ends, and
// returns why it ended: write each event, flush.
// version is the last version written.
func (e *Engine) follow(ctx context.Context, out *plainWriter, watch *live.Watcher, viewer boxoffice.Guest, version int64) string {
	heartbeats := time.NewTicker(e.cfg.Heartbeat)
	defer heartbeats.Stop()
	lifetime := time.NewTimer(e.cfg.Lifetime)
	defer lifetime.Stop()
	for {
		select {
		case ev, ok := <-watch.C():
			events, err := watch.Next(ctx, ev, ok, maxBatch)
			frames, last, end, rerr := e.render(ctx, watch.Show(), events, viewer, version)
			version = last
			out.write(frames...)
			if err == nil {
				err = rerr
			}
			if err != nil || end {
				_ = out.flush() // what was caught up before the failure
				if end {
					return ClosedCancelled
				}
				return e.whyEnded(ctx, watch.Show(), err)
			}
		case <-heartbeats.C:
			out.write(heartbeat)
		case <-lifetime.C:
			return ClosedLifetime
		case <-ctx.Done():
			if e.ctx.Err() != nil {
				return ClosedServer
			}
			return ClosedLeft
		}
		if err := out.flush(); err != nil {
			return whyFailed(err)
		}
	}
}

// errSlow says a write to a client timed out.
var errSlow = errors.New("stream: the client did not take the write in time")

// plainWriter writes a stream through net/http, each write bounded by
// writeTimeout. The first error sticks and ends the stream.
type plainWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

// write writes the pieces under one deadline.
func (p *plainWriter) write(pieces ...[]byte) {
	if p.err != nil {
		return
	}
	if err := p.rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		p.err = err
		return
	}
	for _, b := range pieces {
		if p.err == nil {
			_, p.err = p.w.Write(b)
		}
	}
}

func (p *plainWriter) flush() error {
	if p.err == nil {
		p.err = p.rc.Flush()
	}
	if errors.Is(p.err, os.ErrDeadlineExceeded) {
		return errSlow
	}
	return p.err
}
