package boxoffice_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"boxoffice"
)

// The domain must stay free of transport and storage so that both can change
// without touching the booking rules.
func TestDomainImportsNoHTTPOrSQL(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" || dep == "database/sql" {
			t.Errorf("package boxoffice depends on %s", dep)
		}
	}
}

func TestParseLayout(t *testing.T) {
	l, err := boxoffice.ParseLayout(`
# a small hall
A sss.ss
-
B wc..ss
`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range l.Seats {
		ids = append(ids, string(s.ID))
	}
	if want := []string{"A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4"}; !slices.Equal(ids, want) {
		t.Errorf("seats = %v, want %v", ids, want)
	}
	b1, ok := l.Seat("B1")
	if !ok || b1.Kind != boxoffice.KindWheelchair || b1.X != 0 || b1.Y != 2 || b1.Row != "B" || b1.Number != 1 {
		t.Errorf("B1 = %+v, %v; want a wheelchair space at (0,2)", b1, ok)
	}
	if b3, _ := l.Seat("B3"); b3.X != 4 {
		t.Errorf("B3 at column %d, want 4 (after the gaps)", b3.X)
	}
	if l.Columns != 6 || l.Height != 3 {
		t.Errorf("grid %dx%d, want 6x3", l.Columns, l.Height)
	}
	if !slices.Equal(l.Aisles, []int{3}) {
		t.Errorf("aisles = %v, want [3]", l.Aisles)
	}
	if l.Rows[1].Cells[4].Seat.ID != "B3" || l.Rows[1].Cells[2].Seat != nil {
		t.Errorf("row B cells do not match the description")
	}
	if l.Has("A6") || l.Has("C1") {
		t.Error("layout claims seats it does not have")
	}
}

func TestParseLayoutRejects(t *testing.T) {
	for name, src := range map[string]string{
		"empty":         "# nothing\n",
		"unknown place": "A ssx",
		"lower label":   "a sss",
		"no seats":      "A ...",
		"repeated row":  "A ss\nA ss",
		"no places":     "A",
	} {
		if _, err := boxoffice.ParseLayout(src); err == nil {
			t.Errorf("%s: ParseLayout(%q) succeeded", name, src)
		}
	}
}

func TestErrorsMatchByCode(t *testing.T) {
	err := boxoffice.TakenError([]boxoffice.SeatID{"C7", "C8"})
	if !errors.Is(err, boxoffice.ErrTaken) || errors.Is(err, boxoffice.ErrNotYours) {
		t.Error("errors.Is does not match by code")
	}
	if err.Detail != "Seats C7, C8 are taken" {
		t.Errorf("detail = %q", err.Detail)
	}
	if d := boxoffice.TakenError([]boxoffice.SeatID{"C7"}).Detail; d != "Seat C7 is taken" {
		t.Errorf("detail = %q", d)
	}
}

func TestCheckSeats(t *testing.T) {
	got, err := boxoffice.CheckSeats([]boxoffice.SeatID{"A1", "A2", "A1"})
	if err != nil || !slices.Equal(got, []boxoffice.SeatID{"A1", "A2"}) {
		t.Errorf("CheckSeats = %v, %v", got, err)
	}
	if _, err := boxoffice.CheckSeats(nil); !errors.Is(err, boxoffice.ErrInvalid) {
		t.Errorf("no seats: %v", err)
	}
	many := make([]boxoffice.SeatID, boxoffice.MaxSeatsPerRequest+1)
	if _, err := boxoffice.CheckSeats(many); !errors.Is(err, boxoffice.ErrInvalid) {
		t.Errorf("too many seats: %v", err)
	}
}
