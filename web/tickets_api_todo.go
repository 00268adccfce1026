package web

import "net/http"

// TODO(issue 14): stubs, replaced by the tickets API helper's handlers.

var notYet = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not built yet", http.StatusNotImplemented)
})

func (s *server) handleMyTicket() http.Handler  { return notYet }
func (s *server) handleGetTicket() http.Handler { return notYet }
func (s *server) handleAdmit() http.Handler     { return notYet }
