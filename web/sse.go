package web

import (
	"errors"
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
	// minFlushGap is the least time between two flushes of one stream.
	minFlushGap = 50 * time.Millisecond
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
		s.Observer.StreamOpened()
		takenOver := false
		why := ClosedLeft // unless a return below says otherwise
		defer func() {
			if !takenOver {
				watch.Close()
				s.Observer.StreamClosed(why)
			}
		}()

		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: pass events through as they come
		w.WriteHeader(http.StatusOK)

		stream := &eventWriter{w: w, rc: rc}
		if snapshot {
			// Written in pieces from the shared rendering, not copied: with
			// thousands of watchers connecting, copies of a 30 kB map add up.
			stream.frame(appendEvent(nil, "snapshot", m.version, nil), m.head(s), m.seatsFor(viewer), []byte("}\n\n"))
		}
		for _, e := range missed {
			stream.frame(unchunk(frameFor(e, viewer)))
		}
		if !stream.started {
			// Nothing missed: the delay alone, which also sends the headers
			// through any middleware that holds them until there is a body.
			stream.write([]byte("retry: 2000\n\n"))
			stream.started = true
		}
		if stream.flush() != nil {
			return
		}
		if st := takeOver(w, r, viewer, watch.Version(), s.StreamLifetime, s.Observer.StreamClosed); st != nil {
			takenOver = true
			s.streams.add(m.show.ID, st, watch)
			return
		}

		heartbeat := time.NewTicker(s.Heartbeat)
		defer heartbeat.Stop()
		lifetime := time.NewTimer(s.StreamLifetime)
		defer lifetime.Stop()
		// send writes e and whatever else is already waiting, so that under
		// load many events go out in one write and one flush. It reports
		// whether the stream goes on.
		send := func(e *live.Event, ok bool) bool {
			for {
				if !ok {
					// Fell behind, or shutting down: ending the stream makes
					// the browser reconnect and resume from its last id.
					why = ClosedSlow
					if errors.Is(watch.Err(), live.ErrClosed) {
						why = ClosedServer
					}
					return false
				}
				events, err := watch.Accept(ctx, e)
				if err != nil {
					s.log.WarnContext(ctx, "event stream cannot catch up", "show", m.show.ID, "err", err)
					why = ClosedSlow
					if ctx.Err() != nil {
						why = ClosedLeft
					}
					return false
				}
				for _, e := range events {
					stream.frame(unchunk(frameFor(e, viewer)))
				}
				select {
				case e, ok = <-watch.C():
				default:
					return true
				}
			}
		}
		// Flushing is a system call per watcher: with thousands watching a
		// busy show, flushing at most every minFlushGap lets one write carry
		// several events. A lone event still goes out at once.
		lastFlush := time.Now()
		flushTimer := time.NewTimer(minFlushGap)
		flushTimer.Stop()
		defer flushTimer.Stop()
		var flushDue <-chan time.Time // set while a flush is pending
		for {
			flushNow := false
			select {
			case e, ok := <-watch.C():
				if !send(e, ok) {
					return
				}
			case <-heartbeat.C:
				stream.write([]byte(": keep-alive\n\n"))
			case <-flushDue:
				flushDue, flushNow = nil, true
			case <-lifetime.C:
				why = ClosedLifetime
				return
			case <-ctx.Done():
				return
			}
			if flushDue != nil {
				continue // already pending
			}
			if gap := time.Since(lastFlush); !flushNow && gap < minFlushGap {
				flushTimer.Reset(minFlushGap - gap)
				flushDue = flushTimer.C
				continue
			}
			lastFlush = time.Now()
			if stream.flush() != nil {
				return
			}
		}
	})
}

// frameFor is the whole "seats" event for viewer as one HTTP/1.1 chunk (see
// streams.go; unchunk gives the event itself). Most viewers hold none of the
// changed seats and share one frame, encoded once however many watch; only a
// holder's own differs ("mine").
func frameFor(e *live.Event, viewer boxoffice.Guest) []byte {
	for _, sc := range e.Seats {
		if sc.Holder == viewer {
			return chunk(seatsFrame(e.Change, viewer))
		}
	}
	return sharedChunk(e)
}

func seatsFrame(c boxoffice.Change, viewer boxoffice.Guest) []byte {
	return appendEvent(nil, "seats", c.Version, seatsEvent(c, viewer))
}

// appendEvent appends one event's block, or when data is nil its start up
// to the data, which the caller writes and ends with "\n\n".
func appendEvent(b []byte, name string, id int64, data []byte) []byte {
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, "\nid: "...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, "\ndata: "...)
	if data == nil {
		return b
	}
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// eventWriter writes SSE frames, each write bounded by writeTimeout. The
// first error sticks and ends the stream.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	err     error
	started bool // an event has been written
}

// frame writes one event's whole block, given in pieces. The first also
// sets the browser's reconnection delay: inside the event rather than in a
// block of its own, so that the snapshot really is the first thing a client
// reads.
func (s *eventWriter) frame(pieces ...[]byte) {
	if !s.started {
		s.started = true
		s.write([]byte("retry: 2000\n"))
	}
	s.write(pieces...)
}

// write writes the pieces under one deadline.
func (s *eventWriter) write(pieces ...[]byte) {
	if s.err != nil {
		return
	}
	if err := s.rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return
	}
	for _, b := range pieces {
		if s.err == nil {
			_, s.err = s.w.Write(b)
		}
	}
}

func (s *eventWriter) flush() error {
	if s.err == nil {
		s.err = s.rc.Flush()
	}
	return s.err
}
