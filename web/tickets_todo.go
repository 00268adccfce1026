package web

import "net/http"

// TODO(issue 14): stubs, each replaced by its helper's handler.

var notYet = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not built yet", http.StatusNotImplemented)
})

// The API's (tickets API helper).

func (s *server) handleMyTicket() http.Handler  { return notYet }
func (s *server) handleGetTicket() http.Handler { return notYet }
func (s *server) handleAdmit() http.Handler     { return notYet }

// The pages' (ticket pages helper).

func (s *server) handleTicketPage(admin *adminAuth) http.Handler { return notYet }
func (s *server) handleTicketAdmitForm() http.Handler            { return notYet }
func (s *server) handleDoorPage() http.Handler                   { return notYet }
func (s *server) handleDoorForm() http.Handler                   { return notYet }
