package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"boxoffice"
	"boxoffice/live"
)

const (
	// maxReplay is how many missed changes a reconnecting client is sent one
	// by one; further behind, a fresh snapshot is shorter.
	maxReplay = 500
	// writeTimeout bounds each write to a stream, so a client that stopped
	// reading cannot hold its handler forever.
	writeTimeout = 10 * time.Second
)

// handleEvents streams a show's seat changes as Server-Sent Events: a
// snapshot first (or, for a client resuming with Last-Event-ID, the changes
// it missed), then one event per change, each with the show version as id.
func (s *server) handleEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, err := s.currentMap(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		viewer := guestOf(r)
		from, snapshot := m.version, true
		if last, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil &&
			last >= 0 && last <= m.version && m.version-last <= maxReplay {
			from, snapshot = last, false
		}
		watch, missed, err := s.Hub.Watch(ctx, m.show.ID, from)
		if errors.Is(err, live.ErrClosed) {
			err = boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The server is shutting down; reconnect in a moment")
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		defer watch.Close()

		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: pass events through as they come
		w.WriteHeader(http.StatusOK)

		stream := &eventWriter{w: w, rc: rc}
		if snapshot {
			stream.event("snapshot", m.version, m.appendFor(nil, s, viewer))
		}
		for _, e := range missed {
			stream.event("seats", e.Version, encodeFor(e, viewer))
		}
		if stream.flush() != nil {
			return
		}

		heartbeat := time.NewTicker(s.Heartbeat)
		defer heartbeat.Stop()
		lifetime := time.NewTimer(s.StreamLifetime)
		defer lifetime.Stop()
		for {
			select {
			case e, ok := <-watch.C():
				if !ok {
					// Fell behind, or shutting down: ending the stream makes
					// the browser reconnect and resume from its last id.
					return
				}
				events, err := watch.Accept(ctx, e)
				if err != nil {
					s.log.WarnContext(ctx, "event stream cannot catch up", "show", m.show.ID, "err", err)
					return
				}
				for _, e := range events {
					stream.event("seats", e.Version, encodeFor(e, viewer))
				}
			case <-heartbeat.C:
				stream.printf(": keep-alive\n\n")
			case <-lifetime.C:
				return
			case <-ctx.Done():
				return
			}
			if stream.flush() != nil {
				return
			}
		}
	})
}

// encodeFor is the event data for viewer. Most viewers hold none of the
// changed seats and share one encoding; only a holder's own differs ("mine").
func encodeFor(e *live.Event, viewer boxoffice.Guest) []byte {
	for _, sc := range e.Seats {
		if sc.Holder == viewer {
			return seatsEvent(e.Change, viewer)
		}
	}
	return e.Shared(func(c boxoffice.Change) []byte { return seatsEvent(c, "") })
}

// eventWriter writes SSE frames, each write bounded by writeTimeout. The
// first error sticks and ends the stream.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	err     error
	started bool // an event has been written
}

func (s *eventWriter) printf(format string, args ...any) {
	if s.err != nil {
		return
	}
	if err := s.rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return
	}
	_, s.err = fmt.Fprintf(s.w, format, args...)
}

// event writes one event. The first also sets the browser's reconnection
// delay: inside an event rather than in a block of its own, so that the
// snapshot really is the first thing a client reads.
func (s *eventWriter) event(name string, id int64, data []byte) {
	retry := ""
	if !s.started {
		retry, s.started = "retry: 2000\n", true
	}
	s.printf("%sevent: %s\nid: %d\ndata: %s\n\n", retry, name, id, data)
}

func (s *eventWriter) flush() error {
	if s.err == nil {
		s.err = s.rc.Flush()
	}
	return s.err
}
