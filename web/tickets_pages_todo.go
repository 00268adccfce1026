package web

import "net/http"

// TODO(issue 14): stubs, replaced by the ticket pages helper's handlers.

var notYetPage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not built yet", http.StatusNotImplemented)
})

func (s *server) handleTicketPage(admin *adminAuth) http.Handler { return notYetPage }
func (s *server) handleTicketAdmitForm() http.Handler            { return notYetPage }
func (s *server) handleDoorPage() http.Handler                   { return notYetPage }
func (s *server) handleDoorForm() http.Handler                   { return notYetPage }
