package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"boxoffice"
	"boxoffice/stream"
)

// maxReplay is how many missed changes a reconnecting client is sent one by
// one; further behind, a fresh snapshot is shorter.
const maxReplay = 500

// handleEvents streams a show's seat changes as Server-Sent Events: a
// snapshot first (or, for a client resuming with Last-Event-ID, the changes
// it missed), then one event per change, each with the show version as id.
// It reads the request and the current map; package stream does the rest,
// counting each client's streams against the caps. HEAD answers what a GET
// would get now, a refusal included, and holds nothing.
func (s *server) handleEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.currentMap(r, heard)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		viewer := guestOf(r)
		snapshot := func() [][]byte { return [][]byte{m.head(s), m.seatsFor(viewer), []byte("}")} }
		req := stream.Request{Show: m.show.ID, Viewer: viewer, Version: m.version, From: m.version, Client: clientOf(r).Key}
		if from, ok := resumeFrom(r.Header.Get("Last-Event-ID"), m.version); ok {
			req.From = from
		} else {
			req.Snapshot = snapshot()
		}
		err = s.streams.Serve(w, r, req)
		if errors.Is(err, boxoffice.ErrHistoryGone) && req.Snapshot == nil {
			// The store no longer holds the changes the client missed
			// (compacted or forgotten): it is too far behind, so it gets a
			// snapshot. Serve wrote nothing, so it can start again.
			req.From, req.Snapshot = req.Version, snapshot()
			err = s.streams.Serve(w, r, req)
		}
		if err != nil {
			// A HEAD only asks; the GET that follows it is the refusal
			// that counts.
			if r.Method != http.MethodHead {
				switch {
				case errors.Is(err, stream.ErrTooManyStreams):
					s.refused(r.Context(), "streams_per_client")
				case errors.Is(err, stream.ErrServerBusy):
					s.refused(r.Context(), "streams")
				}
			}
			s.writeProblem(w, r, err)
		}
	})
}

// resumeFrom reads a reconnecting client's Last-Event-ID: the version it
// has, from which it is sent what it missed. It reports false, for a fresh
// snapshot, unless the id is a version of this show's log (none from the
// future, say from another database) within maxReplay of the current one.
func resumeFrom(lastEventID string, version int64) (from int64, ok bool) {
	last, err := strconv.ParseInt(lastEventID, 10, 64)
	if err != nil || last < 0 || last > version || version-last > maxReplay {
		return 0, false
	}
	return last, true
}

// streamSnapshot is the show as it is now, for the streams that met a
// change of the show itself: read from the seat-map cache, which reads the
// show afresh on such a change, so the snapshot is the one GET
// /api/shows/{show} answers. A cancelled show's snapshot says only that.
func (s *server) streamSnapshot(ctx context.Context, show boxoffice.ShowID, after int64) (stream.Snapshot, error) {
	m, err := s.maps.current(ctx, show, heard)
	if err == nil && m.version < after {
		// The hub could not vouch for the change yet: ask the store.
		m, err = s.maps.current(ctx, show, committed)
	}
	if err != nil {
		return stream.Snapshot{}, err
	}
	if m.show.SalesState() == boxoffice.SalesCancelled {
		return stream.Snapshot{Version: m.version, Cancelled: true}, nil
	}
	head := m.head(s)
	// Most viewers hold no seat and share one snapshot; those who do are
	// found in a set, not by a walk of every seat per viewer.
	holds := make(map[boxoffice.Guest]bool, len(m.holders))
	for _, g := range m.holders {
		holds[g] = true
	}
	end := []byte("}")
	return stream.Snapshot{Version: m.version, Data: func(viewer boxoffice.Guest) ([][]byte, bool) {
		if !holds[viewer] {
			return [][]byte{head, m.seats, end}, false
		}
		return [][]byte{head, m.seatsFor(viewer), end}, true
	}}, nil
}
