package web

import (
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
// It reads the request and the current map; package stream does the rest.
func (s *server) handleEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.currentMap(r, heard)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		viewer := guestOf(r)
		req := stream.Request{Show: m.show.ID, Viewer: viewer, Version: m.version, From: m.version}
		if last, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil &&
			last >= 0 && last <= m.version && m.version-last <= maxReplay {
			req.From = last
		} else {
			req.Snapshot = [][]byte{m.head(s), m.seatsFor(viewer), []byte("}")}
		}
		err = s.streams.Serve(w, r, req)
		if errors.Is(err, boxoffice.ErrHistoryGone) && req.Snapshot == nil {
			// The store no longer holds the changes the client missed
			// (compacted or forgotten): it is too far behind, so it gets a
			// snapshot. Serve wrote nothing, so it can start again.
			req.From, req.Snapshot = req.Version, [][]byte{m.head(s), m.seatsFor(viewer), []byte("}")}
			err = s.streams.Serve(w, r, req)
		}
		if err != nil {
			s.writeProblem(w, r, err)
		}
	})
}
