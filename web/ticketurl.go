package web

import (
	"net/http"

	"boxoffice"
)

// ticketPath is where a ticket's page is, for links on the site.
func ticketPath(code boxoffice.TicketCode) string { return "/tickets/" + code.String() }

// ticketURL is a ticket page's absolute address, for QR codes and for
// links a guest keeps: from --public-url when the operator set it, else
// from the request's own scheme (as overTLS judges it) and host.
func (s *server) ticketURL(r *http.Request, code boxoffice.TicketCode) string {
	base := s.PublicURL
	if base == "" {
		scheme := "http"
		if s.overTLS(r) {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + ticketPath(code)
}
