package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"boxoffice"
)

// The ticket page and the door: a guest's proof of its seats, and the
// staff's check of it. Both work without JavaScript; the door page's
// script (static/door.js) only spares the usher a page load per guest.

// maxDoorFormBytes bounds the check-in form: a pasted ticket URL and little
// else.
const maxDoorFormBytes = 4 << 10

// noReferrer keeps a page's address from leaving with a link the guest
// follows: the ticket page's address is the ticket.
func noReferrer(w http.ResponseWriter) { w.Header().Set("Referrer-Policy", "no-referrer") }

// ticketCodeIn reads a code as staff type or paste it: a code in any of
// its sloppy forms, or a ticket's address, whose last path segment is the
// code.
func ticketCodeIn(s string) (boxoffice.TicketCode, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return boxoffice.ParseTicketCode(s)
}

// verdict is the door's answer to one ticket, in large type: Kind (the
// colour) is always said again by Icon and Head, never left to the colour.
type verdict struct {
	Kind   string // "ok" admit, "again" already admitted, "refused"
	Icon   string
	Head   string
	Detail string
	Code   string // the ticket's code (XXXX-XXXX-XXXX), when there is one
}

var kindWords = map[boxoffice.SeatKind]string{boxoffice.KindWheelchair: "wheelchair space", boxoffice.KindCompanion: "companion seat"}

// seatsPhrase says a ticket's seats as an usher reads them out: "row F,
// seats 7 and 8"; over rows, "row E, seat 3; row F, seats 7 and 8". Seats
// come in hall order, so a row's seats are together.
func seatsPhrase(show boxoffice.Show, ids []boxoffice.SeatID) string {
	var parts, nums []string
	row := ""
	flush := func() {
		if len(nums) > 0 {
			parts = append(parts, "row "+row+", "+plural(len(nums), "seat ", "seats ")+andList(nums))
		}
		nums = nil
	}
	for _, id := range ids {
		seat, ok := show.Hall.Layout.Seat(id)
		if !ok { // the hall was redrawn under the booking: say the id
			flush()
			parts = append(parts, "seat "+string(id))
			continue
		}
		if seat.Row != row {
			flush()
			row = seat.Row
		}
		n := strconv.Itoa(seat.Number)
		if k := kindWords[seat.Kind]; k != "" {
			n += " (" + k + ")"
		}
		nums = append(nums, n)
	}
	flush()
	return strings.Join(parts, "; ")
}

// andList joins "7", "8", "9" as "7, 8 and 9".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// admittedClock is when the ticket was admitted, as the door says it: the
// time of day in the cinema's time zone.
func (s *server) admittedClock(t boxoffice.Ticket) string {
	return t.AdmittedAt.In(s.Location).Format("15:04")
}

// showLine names a ticket's show for staff who check many: "Open Film ·
// Sat 6 Dec, 20:00 · Hall One".
func (s *server) showLine(sh boxoffice.Show) string {
	return sh.Title + " · " + s.humanTime(sh.StartsAt) + " · " + sh.Hall.Name
}

// admission is the door's answer to one ticket and the status it goes with.
type admission struct {
	ticket  boxoffice.Ticket
	verdict verdict
	status  int
}

// doorAdmit admits the ticket now, or says why not. An unknown ticket is
// noTicketError; a cancelled show's, ErrCancelled.
func (s *server) doorAdmit(r *http.Request, code boxoffice.TicketCode) (admission, error) {
	t, first, err := s.admitTicket(r, code)
	v := verdict{Code: code.String()}
	switch {
	case err == nil && first:
		v.Kind, v.Icon, v.Head = "ok", "✓", "Admit: "+seatsPhrase(t.Show, t.Seats)
		v.Detail = s.showLine(t.Show)
		return admission{t, v, http.StatusOK}, nil
	case err == nil:
		v.Kind, v.Icon, v.Head = "again", "!", "ALREADY ADMITTED at "+s.admittedClock(t)
		v.Detail = s.showLine(t.Show) + " · " + seatsPhrase(t.Show, t.Seats)
		return admission{t, v, http.StatusOK}, nil
	case errors.Is(err, boxoffice.ErrWrongDay):
		v.Kind, v.Icon, v.Head = "refused", "✗", "Not today: this ticket is for "+s.humanTime(t.Show.StartsAt)
		v.Detail = s.showLine(t.Show) + " · " + seatsPhrase(t.Show, t.Seats)
		return admission{t, v, http.StatusConflict}, nil
	}
	return admission{}, err
}

type ticketSeat struct {
	Row    string
	Number int
	Kind   string // spelled out; "" for a standard seat
}

type ticketPage struct {
	page
	ShowID                boxoffice.ShowID
	Title, Hall           string
	StartsISO, StartsText string
	Seats                 []ticketSeat
	Code                  string // XXXX-XXXX-XXXX
	QR                    template.HTML
	AdmittedISO           string // "" until admitted
	AdmittedText          string
	Staff                 bool // a door or admin session: the Admit button, not the guest's advice
	Verdict               *verdict
}

func (s *server) ticketPage(r *http.Request, code boxoffice.TicketCode, t boxoffice.Ticket, staff bool) (ticketPage, error) {
	qr, err := qrSVG(s.ticketURL(r, code), "QR code of this ticket's address, for the staff at the door")
	if err != nil {
		return ticketPage{}, err
	}
	p := ticketPage{page: page{Head: "Ticket: " + t.Show.Title}, ShowID: t.Show.ID, Title: t.Show.Title,
		Hall: t.Show.Hall.Name, StartsISO: formatTime(t.Show.StartsAt, s.Location), StartsText: s.humanTime(t.Show.StartsAt),
		Code: code.String(), QR: qr, Staff: staff}
	for _, id := range t.Seats {
		seat, ok := t.Show.Hall.Layout.Seat(id)
		if !ok {
			seat = boxoffice.Seat{ID: id, Row: string(id)}
		}
		p.Seats = append(p.Seats, ticketSeat{Row: seat.Row, Number: seat.Number, Kind: kindWords[seat.Kind]})
	}
	if t.Admitted() {
		p.AdmittedISO, p.AdmittedText = formatTime(t.AdmittedAt, s.Location), s.admittedClock(t)
	}
	return p, nil
}

// handleTicketPage is GET /tickets/{code}: the ticket, public to whoever
// has its address, with the seats its guest holds now; a door or admin
// session also gets the Admit button.
func (s *server) handleTicketPage(admin *adminAuth) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noReferrer(w)
		code, err := pathTicketCode(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		t, err := s.ticketByCode(r.Context(), code)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		role, err := admin.sessionRole(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p, err := s.ticketPage(r, code, t, role >= roleDoor)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "ticket.html", p)
	})
}

// handleTicketAdmitForm is the ticket page's Admit button: the answer is
// the ticket page with the door's verdict on top, 409 for the wrong day.
func (s *server) handleTicketAdmitForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noReferrer(w)
		code, err := pathTicketCode(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		a, err := s.doorAdmit(r, code)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p, err := s.ticketPage(r, code, a.ticket, true)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p.Verdict = &a.verdict
		s.render(w, r, a.status, "ticket.html", p)
	})
}

type doorPage struct {
	adminPage
	Verdict *verdict
}

// newDoorPage is the check-in page for the staff r's session is: the
// operator sees the admin navigation, door staff no more than the door.
func newDoorPage(r *http.Request) doorPage {
	role := staffRole(r)
	return doorPage{adminPage: adminPage{page: page{Head: "Check-in"}, SignedIn: role == roleAdmin, DoorOnly: role == roleDoor}}
}

// handleDoorPage is the check-in page: one field for a code or a ticket's
// address.
func (s *server) handleDoorPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "admin-door.html", newDoorPage(r))
	})
}

// handleDoorForm checks a ticket in from the form, without JavaScript: the
// answer is the check-in page again, the verdict above an empty field,
// ready for the next guest. Its status is the verdict's, as the ticket
// page's Admit button answers.
func (s *server) handleDoorForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxDoorFormBytes)
		if err := r.ParseForm(); err != nil {
			s.writeProblem(w, r, unreadable(err, "The form could not be read."))
			return
		}
		p, status := newDoorPage(r), http.StatusOK
		var a admission
		err := error(&noTicketError)
		code, ok := ticketCodeIn(r.PostForm.Get("code"))
		if ok {
			a, err = s.doorAdmit(r, code)
		}
		switch {
		case err == nil:
			p.Verdict, status = &a.verdict, a.status
		case errors.Is(err, boxoffice.ErrNotFound):
			p.Verdict, status = &verdict{Kind: "refused", Icon: "✗", Head: "No such ticket",
				Detail: "Check the code and try again, or ask the guest for the ticket page."}, http.StatusNotFound
		case errors.Is(err, boxoffice.ErrCancelled):
			// No link: the ticket's page is gone too.
			p.Verdict, status = &verdict{Kind: "refused", Icon: "✗", Head: "Cancelled: this ticket's show has been cancelled"}, http.StatusGone
		default:
			s.writeProblem(w, r, err)
			return
		}
		s.render(w, r, status, "admin-door.html", p)
	})
}
