package boxoffice

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules of a programme, shared by every store: Check says whether a
// programme is well formed by itself; Plan says what applying it to what a
// store holds would do, or which rule stands in the way. Both are pure, so
// the stores differ only in how they read and write.

// MaxIDLength bounds hall and show ids.
const MaxIDLength = 64

// ValidID reports whether id is 1–64 characters of A-Za-z0-9._- : ids
// appear in URLs and file names, so they need no escaping anywhere.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// invalid is an ErrProgramme naming what is wrong.
func invalid(format string, args ...any) *Error { return Errorf(EPROGRAMME, format, args...) }

// conflict is an ErrConflict naming what stands in the way.
func conflict(format string, args ...any) *Error { return Errorf(ECONFLICT, format, args...) }

// Check rejects a programme no store may take, whatever it holds, with an
// ErrProgramme whose detail names the hall or show, the field and, for a
// layout, the line: an id that is not 1–64 characters of A-Za-z0-9._-, an id
// given twice, a hall without a name or whose layout does not parse, a show
// without a title, hall or start, with unknown sales, or with a negative
// seat cap. A show may name a hall that p lacks: the store decides.
func (p Programme) Check() error {
	halls := map[HallID]bool{}
	for i, h := range p.Halls {
		switch {
		case !ValidID(string(h.ID)):
			return invalid("Hall %d: id %q must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'", i+1, h.ID, MaxIDLength)
		case halls[h.ID]:
			return invalid("Hall %s: id: given twice", h.ID)
		case strings.TrimSpace(h.Name) == "":
			return invalid("Hall %s: name: required", h.ID)
		}
		halls[h.ID] = true
		// Stores keep a hall as its layout's text, so a Layout built by hand,
		// without ParseLayout, would be lost: the text must parse.
		if _, err := ParseLayout(h.Layout.Source); err != nil {
			return invalid("Hall %s: layout: %v", h.ID, err)
		}
	}
	shows := map[ShowID]bool{}
	for i, sh := range p.Shows {
		switch {
		case !ValidID(string(sh.ID)):
			return invalid("Show %d: id %q must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'", i+1, sh.ID, MaxIDLength)
		case shows[sh.ID]:
			return invalid("Show %s: id: given twice", sh.ID)
		case strings.TrimSpace(sh.Title) == "":
			return invalid("Show %s: title: required", sh.ID)
		case sh.Hall.ID == "":
			return invalid("Show %s: hall: required", sh.ID)
		case !ValidID(string(sh.Hall.ID)):
			return invalid("Show %s: hall: %q is not a hall id", sh.ID, sh.Hall.ID)
		case sh.StartsAt.IsZero():
			return invalid("Show %s: starts_at: required", sh.ID)
		case sh.MaxSeatsPerGuest != nil && *sh.MaxSeatsPerGuest < 0:
			return invalid("Show %s: max_seats_per_guest: %d is negative (0 means no cap)", sh.ID, *sh.MaxSeatsPerGuest)
		}
		switch sh.Sales {
		case "", SalesOpen, SalesClosed, SalesCancelled:
		default:
			return invalid("Show %s: sales: %q is not open, closed or cancelled", sh.ID, sh.Sales)
		}
		shows[sh.ID] = true
	}
	return nil
}

// Validate rejects a programme that cannot be a new store's first: Check,
// at least one hall, and every show in a hall of p (Seed has no other).
func (p Programme) Validate() error {
	if err := p.Check(); err != nil {
		return err
	}
	if len(p.Halls) == 0 {
		return invalid("The programme has no halls")
	}
	for _, sh := range p.Shows {
		if !slices.ContainsFunc(p.Halls, func(h Hall) bool { return h.ID == sh.Hall.ID }) {
			return invalid("Show %s: hall: %q is not in the programme", sh.ID, sh.Hall.ID)
		}
	}
	return nil
}

// Affected returns, by id, the stored shows that applying p may change or
// check: those p names and those playing in a hall p names. A store locks
// them, then reads their bookings for Plan.
func (p Programme) Affected(stored []Show) []ShowID {
	var out []ShowID
	for _, sh := range stored {
		if slices.ContainsFunc(p.Shows, func(n Show) bool { return n.ID == sh.ID }) ||
			slices.ContainsFunc(p.Halls, func(h Hall) bool { return h.ID == sh.Hall.ID }) {
			out = append(out, sh.ID)
		}
	}
	slices.Sort(out)
	return out
}

// Stored is what a store holds that Plan needs: every hall and show (a
// show's Hall needs only its ID), and the seats held in each show Affected
// names.
type Stored struct {
	Halls  []Hall
	Shows  []Show
	Booked map[ShowID][]SeatID
}

// ProgrammePlan is what applying a programme does: the report, the rows to
// insert or update, and the shows whose programme changed (their own
// values, or their hall's), which get a new version and a Programme change.
type ProgrammePlan struct {
	Report                 ProgrammeReport
	NewHalls, ChangedHalls []Hall
	NewShows, ChangedShows []Show
	Bump                   []ShowID // by id, the order stores lock shows in
}

// Plan checks p (Check) and then the rules against what the store holds at
// now, and says what applying p does. Errors: ErrProgramme (p is not valid,
// or a show names a hall neither p nor the store has), ErrConflict (a rule
// stands in the way, named in the detail).
func (p Programme) Plan(st Stored, now time.Time) (ProgrammePlan, error) {
	if err := p.Check(); err != nil {
		return ProgrammePlan{}, err
	}
	var plan ProgrammePlan
	halls := map[HallID]Hall{}
	for _, h := range st.Halls {
		halls[h.ID] = h
	}
	shows := map[ShowID]Show{}
	for _, sh := range st.Shows {
		shows[sh.ID] = sh
	}
	rehung := map[HallID]bool{} // halls whose name or layout changes
	for _, h := range p.Halls {
		old, ok := halls[h.ID]
		switch {
		case !ok:
			plan.Report.Added = append(plan.Report.Added, "hall:"+string(h.ID))
			plan.NewHalls = append(plan.NewHalls, h)
			continue
		case old.Name == h.Name && old.Layout.Source == h.Layout.Source:
			plan.Report.Unchanged = append(plan.Report.Unchanged, "hall:"+string(h.ID))
			continue
		}
		if old.Layout.Source != h.Layout.Source {
			if err := keepsBookedSeats(h, st); err != nil {
				return ProgrammePlan{}, err
			}
		}
		plan.Report.Changed = append(plan.Report.Changed, "hall:"+string(h.ID))
		plan.ChangedHalls = append(plan.ChangedHalls, h)
		rehung[h.ID] = true
	}
	bump := map[ShowID]bool{}
	for _, sh := range st.Shows {
		if rehung[sh.Hall.ID] {
			bump[sh.ID] = true
		}
	}
	for _, sh := range p.Shows {
		if _, ok := halls[sh.Hall.ID]; !ok && !slices.ContainsFunc(p.Halls, func(h Hall) bool { return h.ID == sh.Hall.ID }) {
			return ProgrammePlan{}, invalid("Show %s: hall: there is no hall %q", sh.ID, sh.Hall.ID)
		}
		old, ok := shows[sh.ID]
		if !ok {
			plan.Report.Added = append(plan.Report.Added, "show:"+string(sh.ID))
			plan.NewShows = append(plan.NewShows, sh)
			continue
		}
		if sameShow(old, sh) {
			plan.Report.Unchanged = append(plan.Report.Unchanged, "show:"+string(sh.ID))
			continue
		}
		if err := mayChange(old, sh, len(st.Booked[sh.ID]), now); err != nil {
			return ProgrammePlan{}, err
		}
		plan.Report.Changed = append(plan.Report.Changed, "show:"+string(sh.ID))
		plan.ChangedShows = append(plan.ChangedShows, sh)
		bump[sh.ID] = true
	}
	for id := range bump {
		plan.Bump = append(plan.Bump, id)
	}
	slices.Sort(plan.Bump)
	return plan, nil
}

// keepsBookedSeats refuses a new layout for h that lacks a seat held in one
// of the hall's stored shows: seat ids come from the layout, so a booking
// of a seat the layout no longer has would point nowhere.
func keepsBookedSeats(h Hall, st Stored) error {
	l, err := ParseLayout(h.Layout.Source)
	if err != nil {
		return invalid("Hall %s: layout: %v", h.ID, err)
	}
	for _, sh := range st.Shows {
		if sh.Hall.ID != h.ID {
			continue
		}
		var lost []SeatID
		for _, seat := range st.Booked[sh.ID] {
			if !l.Has(seat) {
				lost = append(lost, seat)
			}
		}
		if len(lost) > 0 {
			slices.Sort(lost)
			ids := make([]string, len(lost))
			for i, s := range lost {
				ids[i] = string(s)
			}
			return &Error{Code: ECONFLICT, Seats: lost, Detail: fmt.Sprintf("Hall %s: the new layout lacks seats booked for show %s: %s",
				h.ID, sh.ID, strings.Join(ids, ", "))}
		}
	}
	return nil
}

// sameShow reports whether a show's stored values equal the given ones,
// its start compared as an instant.
func sameShow(old, sh Show) bool {
	capOf := func(s Show) int {
		if s.MaxSeatsPerGuest == nil {
			return -1
		}
		return *s.MaxSeatsPerGuest
	}
	return old.Title == sh.Title && old.StartsAt.Equal(sh.StartsAt) && old.Hall.ID == sh.Hall.ID &&
		old.SalesState() == sh.SalesState() && capOf(old) == capOf(sh)
}

// mayChange refuses a change of a stored show (old) to sh that a rule
// forbids: a cancelled or started show changes no more, a show holding
// booked seats neither moves hall nor is cancelled (CancelShow with force
// releases them first).
func mayChange(old, sh Show, booked int, now time.Time) error {
	switch {
	case old.SalesState() == SalesCancelled:
		return conflict("Show %s has been cancelled and cannot change", sh.ID)
	case !now.Before(old.StartsAt):
		return conflict("Show %s has started and cannot change", sh.ID)
	case booked > 0 && old.Hall.ID != sh.Hall.ID:
		return conflict("Show %s holds %d booked seats and cannot move from hall %s to hall %s", sh.ID, booked, old.Hall.ID, sh.Hall.ID)
	case booked > 0 && sh.SalesState() == SalesCancelled:
		return conflict("Show %s holds %d booked seats and cannot be cancelled without releasing them", sh.ID, booked)
	}
	return nil
}
