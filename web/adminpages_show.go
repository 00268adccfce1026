package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"boxoffice"
)

// localTime is the value of an <input type="datetime-local">: a wall-clock
// time, read in the cinema's zone.
const localTime = "2006-01-02T15:04"

// showForm is the add-or-edit form's fields, as typed.
type showForm struct {
	ID, Title, Hall, StartsAt, Sales, Cap string
}

type hallOption struct {
	ID       boxoffice.HallID
	Name     string
	Selected bool
}

type doorGuest struct {
	Ref      string
	Seats    string
	BookedAt string // as the cinema's clock reads it
	ISO      string
	// AdmittedAt is the time of day the guest's ticket was admitted at
	// the door, "" if not yet.
	AdmittedAt, AdmittedISO string
}

type adminShowPage struct {
	adminPage
	New       bool
	Form      showForm
	Halls     []hallOption
	Zone      string
	Cancelled bool
	// The show as stored, for the door list and its actions.
	Title, HallName, StartsText string
	Version                     int64
	Guests                      []doorGuest
	Counts                      doorCountsJSON
	Booked                      []boxoffice.SeatID // hall order
	Map                         template.HTML
}

// handleAdminNewShow is the empty form for a new show.
func (s *server) handleAdminNewShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.showFormPage(w, r, http.StatusOK, nil, showForm{Sales: string(boxoffice.SalesOpen)}, "")
	})
}

// handleAdminShow is a show's page: its form, and its door list with the
// operator's actions on it.
func (s *server) handleAdminShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		show, err := s.adminShow(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.showFormPage(w, r, http.StatusOK, &show, formOf(show, s.Location), "")
	})
}

func (s *server) adminShow(r *http.Request) (boxoffice.Show, error) {
	id, err := pathID(r, "show")
	if err != nil {
		return boxoffice.Show{}, err
	}
	return s.Store.Show(r.Context(), boxoffice.ShowID(id))
}

func formOf(sh boxoffice.Show, loc *time.Location) showForm {
	f := showForm{ID: string(sh.ID), Title: sh.Title, Hall: string(sh.Hall.ID),
		StartsAt: sh.StartsAt.In(loc).Format(localTime), Sales: string(sh.SalesState())}
	if sh.MaxSeatsPerGuest != nil {
		f.Cap = strconv.Itoa(*sh.MaxSeatsPerGuest)
	}
	return f
}

// showFormPage renders the form (filled with f) and, for a stored show,
// its door list; problem, if set, is why the last save was refused.
func (s *server) showFormPage(w http.ResponseWriter, r *http.Request, status int, show *boxoffice.Show, f showForm, problem string) {
	prog, err := s.Store.Programme(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	p := adminShowPage{adminPage: adminPage{page: page{Head: "Add a show"}, SignedIn: true},
		New: show == nil, Form: f, Zone: s.Location.String()}
	for _, h := range prog.Halls {
		p.Halls = append(p.Halls, hallOption{ID: h.ID, Name: h.Name, Selected: string(h.ID) == f.Hall})
	}
	if show != nil {
		p.Head = show.Title + ", " + s.humanTime(show.StartsAt)
		p.Title, p.HallName, p.StartsText = show.Title, show.Hall.Name, s.humanTime(show.StartsAt)
		p.Cancelled = show.SalesState() == boxoffice.SalesCancelled
		list, err := s.doorList(r, show.ID)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p.Version = list.Version
		holders := map[boxoffice.SeatID]boxoffice.Guest{}
		for _, g := range list.Guests {
			seats := make([]string, len(g.Seats))
			for i, seat := range g.Seats {
				seats[i] = string(seat)
				holders[seat] = boxoffice.Guest(g.Guest) // only taken or not matters here
			}
			at, _ := time.Parse(time.RFC3339, g.BookedAt)
			d := doorGuest{Ref: g.Guest, Seats: strings.Join(seats, " "),
				BookedAt: at.In(s.Location).Format("Mon 2 Jan, 15:04"), ISO: g.BookedAt}
			if g.AdmittedAt != nil {
				in, _ := time.Parse(time.RFC3339, *g.AdmittedAt)
				d.AdmittedAt, d.AdmittedISO = in.In(s.Location).Format("15:04"), *g.AdmittedAt
			}
			p.Guests = append(p.Guests, d)
		}
		p.Counts = list.Counts
		for _, seat := range show.Hall.Layout.Seats {
			if holders[seat.ID] != "" {
				p.Booked = append(p.Booked, seat.ID)
			}
		}
		if p.Map, err = s.preview(&show.Hall.Layout, holders); err != nil {
			s.writeProblem(w, r, err)
			return
		}
	}
	p.notice(r)
	if problem != "" {
		p.Message, p.MessageKind = problem, "error"
	}
	s.render(w, r, status, "admin-show.html", p)
}

// handleAdminSaveShow creates (POST /admin/shows, the id a field) or saves
// (POST /admin/shows/{show}) a show from the form. It goes through the
// programme document's own parsing and the store's rules, as the API's PUT
// does; a refusal shows the form again, as typed, with the reason.
func (s *server) handleAdminSaveShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readAdminForm(s, w, r) {
			return
		}
		f := showForm{ID: r.PostForm.Get("id"), Title: r.PostForm.Get("title"), Hall: r.PostForm.Get("hall"),
			StartsAt: r.PostForm.Get("starts_at"), Sales: r.PostForm.Get("sales"), Cap: strings.TrimSpace(r.PostForm.Get("max_seats_per_guest"))}
		var stored *boxoffice.Show
		if r.PathValue("show") != "" {
			sh, err := s.adminShow(r)
			if err != nil {
				s.writeProblem(w, r, err)
				return
			}
			stored, f.ID = &sh, string(sh.ID)
		}
		rep, err := s.saveShow(r, f)
		if err != nil {
			p := problemFor(r, err)
			if p.Status >= 500 {
				s.writeProblem(w, r, err)
				return
			}
			s.showFormPage(w, r, p.Status, stored, f, p.Detail)
			return
		}
		result := "saved"
		if len(rep.Added) > 0 {
			result = "created"
		}
		if len(rep.Unchanged) == 0 {
			s.logAdminChange(r, result+" show", "show:"+f.ID)
		}
		http.Redirect(w, r, "/admin/shows/"+url.PathEscape(f.ID)+"?result="+result, http.StatusSeeOther)
	})
}

// saveShow applies the form as a programme of that one show.
func (s *server) saveShow(r *http.Request, f showForm) (boxoffice.ProgrammeReport, error) {
	item := map[string]any{"id": f.ID, "title": f.Title, "hall": f.Hall}
	if f.Sales != "" {
		item["sales"] = f.Sales
	}
	if f.StartsAt != "" {
		t, err := time.ParseInLocation(localTime, f.StartsAt, s.Location)
		if err != nil {
			return boxoffice.ProgrammeReport{}, boxoffice.Errorf(boxoffice.EPROGRAMME, "show %s: starts_at: give a date and a time", f.ID)
		}
		item["starts_at"] = t.Format(time.RFC3339)
	}
	if f.Cap != "" {
		n, err := strconv.Atoi(f.Cap)
		if err != nil || n < 0 {
			return boxoffice.ProgrammeReport{}, boxoffice.Errorf(boxoffice.EPROGRAMME, "show %s: max_seats_per_guest: a whole number, 0 for no cap, or empty for the server's", f.ID)
		}
		item["max_seats_per_guest"] = n
	}
	doc, err := json.Marshal(map[string]any{"shows": []any{item}})
	if err != nil {
		return boxoffice.ProgrammeReport{}, err
	}
	p, err := boxoffice.ParseProgramme(bytes.NewReader(doc))
	if err != nil {
		return boxoffice.ProgrammeReport{}, err
	}
	return s.Store.ApplyProgramme(r.Context(), p, false)
}

// readAdminForm parses an admin form's body, answering the request itself
// when it cannot.
func readAdminForm(s *server, w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxAdminBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.writeProblem(w, r, unreadable(err, "The form could not be read."))
		return false
	}
	return true
}

// confirmed tells whether a destructive form had its confirm box ticked;
// if not, it answers 303 back to the show saying nothing changed.
func confirmed(w http.ResponseWriter, r *http.Request, show string) bool {
	if r.PostForm.Get("confirm") == "yes" {
		return true
	}
	backToShow(w, r, show, "unconfirmed", nil)
	return false
}

func backToShow(w http.ResponseWriter, r *http.Request, show, result string, extra url.Values) {
	q := url.Values{"result": {result}}
	for k, v := range extra {
		q[k] = v
	}
	http.Redirect(w, r, "/admin/shows/"+url.PathEscape(show)+"?"+q.Encode(), http.StatusSeeOther)
}

// handleAdminRelease frees the seats ticked in the form, whoever holds them.
func (s *server) handleAdminRelease() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if !readAdminForm(s, w, r) || !confirmed(w, r, id) {
			return
		}
		var seats []boxoffice.SeatID
		for _, seat := range r.PostForm["seat"] {
			seats = append(seats, boxoffice.SeatID(seat))
		}
		if len(seats) == 0 {
			backToShow(w, r, id, "none", nil)
			return
		}
		res, err := s.releaseSeats(r, boxoffice.ShowID(id), seats)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		backToShow(w, r, id, "released", url.Values{"seats": {strconv.Itoa(len(res.Released))}})
	})
}

// handleAdminReleaseGuest frees every seat one guest of the door list holds.
func (s *server) handleAdminReleaseGuest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		ref := r.PathValue("guest")
		if !boxoffice.ValidGuestRef(ref) {
			s.writeProblem(w, r, boxoffice.Errorf(boxoffice.ENOTFOUND, "There is no guest %q", ref))
			return
		}
		if !readAdminForm(s, w, r) || !confirmed(w, r, id) {
			return
		}
		res, err := s.releaseGuest(r, boxoffice.ShowID(id), ref)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		backToShow(w, r, id, "released", url.Values{"seats": {strconv.Itoa(len(res.Released))}})
	})
}

// handleAdminCancel cancels the show, releasing its bookings first: the
// confirmation says so.
func (s *server) handleAdminCancel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if !readAdminForm(s, w, r) || !confirmed(w, r, id) {
			return
		}
		released, err := s.Store.CancelShow(r.Context(), boxoffice.ShowID(id), true)
		if err != nil {
			var e *boxoffice.Error
			if errors.As(err, &e) && e.Code == boxoffice.ECONFLICT {
				s.showConflict(w, r, err)
				return
			}
			s.writeProblem(w, r, err)
			return
		}
		s.logAdminChange(r, "cancel show", "show:"+id, slog.Bool("force", true), slog.Int("released", released))
		backToShow(w, r, id, "cancelled", nil)
	})
}

// showConflict shows the show's page again with why the store refused.
func (s *server) showConflict(w http.ResponseWriter, r *http.Request, err error) {
	show, serr := s.adminShow(r)
	if serr != nil {
		s.writeProblem(w, r, err)
		return
	}
	p := problemFor(r, err)
	s.showFormPage(w, r, p.Status, &show, formOf(show, s.Location), p.Detail)
}
