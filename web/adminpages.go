package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"boxoffice"
)

// The admin pages: the operator's view of the programme, server-rendered
// and working without JavaScript like the guest pages. Each form posts and
// is answered 303 back to a page (Post/Redirect/Get); an outcome travels
// in the query as ?result=…, as on the seat map.

var adminPageNames = []string{"admin-signin.html", "admin-programme.html", "admin-show.html", "admin-halls.html", "admin-door.html"}

// addAdmin parses the admin pages beside the guest pages, with a layout of
// their own (no seat-map script, the admin's navigation).
func (p *pages) addAdmin(a *assets) error {
	funcs := template.FuncMap{"asset": a.url}
	for _, name := range adminPageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/admin-layout.html", "templates/"+name)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return nil
}

// adminPage is what every admin page has: its title, whether the operator
// is signed in (the navigation), and the outcome of the last form.
type adminPage struct {
	page
	SignedIn    bool // the operator: the admin navigation
	DoorOnly    bool // door staff: the check-in page is all there is
	Message     string
	MessageKind string // "ok" or "error"
}

// adminResults are the outcomes a form's 303 may name, and their sentences.
var adminResults = map[string]string{
	"saved":       "Saved.",
	"created":     "The show was added.",
	"released":    "Released.",
	"cancelled":   "The show has been cancelled.",
	"unconfirmed": "Nothing was changed: tick the box to confirm.",
	"none":        "Nothing was changed: choose at least one seat.",
}

// notice reads the outcome of the form that redirected here.
func (p *adminPage) notice(r *http.Request) {
	q := r.URL.Query()
	msg, ok := adminResults[q.Get("result")]
	if !ok {
		return
	}
	p.Message, p.MessageKind = msg, "ok"
	if q.Get("result") == "released" {
		if n, err := strconv.Atoi(q.Get("seats")); err == nil && n >= 0 {
			p.Message = fmt.Sprintf("Released %d %s.", n, plural(n, "seat", "seats"))
		}
	}
	if q.Get("result") == "unconfirmed" || q.Get("result") == "none" {
		p.MessageKind = "error"
	}
}

type adminDay struct {
	ISO, Text string
	Shows     []adminShowItem
}

type adminShowItem struct {
	ID                    boxoffice.ShowID
	Title, Hall           string
	TimeISO, TimeText     string
	Sales                 boxoffice.Sales
	Booked, Capacity      int
	Cancelled, HasStarted bool
}

// handleAdminProgramme lists every show, cancelled ones too, by day in the
// cinema's time zone.
func (s *server) handleAdminProgramme() http.Handler {
	type programmePage struct {
		adminPage
		Days []adminDay
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prog, err := s.Store.Programme(r.Context())
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		sums, err := s.Store.Shows(r.Context())
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		booked := map[boxoffice.ShowID]int{}
		for _, sum := range sums {
			booked[sum.ID] = sum.Booked
		}
		p := programmePage{adminPage: adminPage{page: page{Head: "Programme"}, SignedIn: true}}
		p.notice(r)
		now := s.Now()
		for _, sh := range prog.Shows { // by start time
			t := sh.StartsAt.In(s.Location)
			day := t.Format("2006-01-02")
			if n := len(p.Days); n == 0 || p.Days[n-1].ISO != day {
				p.Days = append(p.Days, adminDay{ISO: day, Text: t.Format("Monday 2 January 2006")})
			}
			d := &p.Days[len(p.Days)-1]
			d.Shows = append(d.Shows, adminShowItem{
				ID: sh.ID, Title: sh.Title, Hall: sh.Hall.Name,
				TimeISO: formatTime(sh.StartsAt, s.Location), TimeText: t.Format("15:04"),
				Sales: sh.SalesState(), Booked: booked[sh.ID], Capacity: len(sh.Hall.Layout.Seats),
				Cancelled: sh.SalesState() == boxoffice.SalesCancelled, HasStarted: !now.Before(sh.StartsAt),
			})
		}
		s.render(w, r, http.StatusOK, "admin-programme.html", p)
	})
}

type adminHall struct {
	ID      boxoffice.HallID
	Name    string
	Seats   int
	Preview template.HTML
}

// handleAdminHalls shows every hall with its layout drawn as the seat map
// draws it, every seat free.
func (s *server) handleAdminHalls() http.Handler {
	type hallsPage struct {
		adminPage
		Halls []adminHall
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prog, err := s.Store.Programme(r.Context())
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p := hallsPage{adminPage: adminPage{page: page{Head: "Halls"}, SignedIn: true}}
		for _, h := range prog.Halls {
			preview, err := s.preview(&h.Layout, nil)
			if err != nil {
				s.writeProblem(w, r, err)
				return
			}
			p.Halls = append(p.Halls, adminHall{ID: h.ID, Name: h.Name, Seats: len(h.Layout.Seats), Preview: preview})
		}
		s.render(w, r, http.StatusOK, "admin-halls.html", p)
	})
}

// preview draws a layout with the seat map's own pieces, its seats
// disabled (nothing to click) and those in holders taken.
func (s *server) preview(l *boxoffice.Layout, holders map[boxoffice.SeatID]boxoffice.Guest) (template.HTML, error) {
	g, err := s.pages.seatGrid(l, false)
	if err != nil {
		return "", fmt.Errorf("drawing a hall: %w", err)
	}
	grid, _ := g.draw(holders, "")
	return grid, nil
}
