package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"boxoffice"
	"boxoffice/metrics"
)

// answers is a store whose Book and Release answer what it is told.
type answers struct {
	boxoffice.Store
	change  boxoffice.Change
	err     error
	maxHeld int // the cap the last Book was given
}

func (a *answers) Book(_ context.Context, _ boxoffice.ShowID, _ []boxoffice.SeatID, _ boxoffice.Guest, _ boxoffice.TicketHash, maxHeld int) (boxoffice.Change, error) {
	a.maxHeld = maxHeld
	return a.change, a.err
}

func (a *answers) Release(context.Context, boxoffice.ShowID, []boxoffice.SeatID, boxoffice.Guest) (boxoffice.Change, error) {
	return a.change, a.err
}

// Every outcome of a booking or release lands under a result label an
// operator can alert on, and the store's answer passes through untouched.
func TestSeatOperationOutcomes(t *testing.T) {
	m := metrics.New()
	changed := boxoffice.Change{Version: 3, Seats: []boxoffice.SeatChange{{Seat: "A1"}}}
	for _, c := range []struct {
		change boxoffice.Change
		err    error
		book   bool
	}{
		{changed, nil, true},
		{boxoffice.Change{Version: 3}, nil, true},
		{boxoffice.Change{}, boxoffice.TakenError([]boxoffice.SeatID{"A1"}), true},
		{boxoffice.Change{}, boxoffice.SeatLimitError([]boxoffice.SeatID{"A1"}, 10, 10), true},
		{boxoffice.Change{}, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "down"), false},
		{boxoffice.Change{}, context.Canceled, false},
		{boxoffice.Change{}, errors.New("disk on fire"), false},
	} {
		a := &answers{change: c.change, err: c.err}
		s := m.Store(a)
		var (
			got boxoffice.Change
			err error
		)
		if c.book {
			got, err = s.Book(t.Context(), "show", []boxoffice.SeatID{"A1"}, "guest", "", 7)
			if a.maxHeld != 7 {
				t.Errorf("the store was given a cap of %d, want the caller's 7", a.maxHeld)
			}
		} else {
			got, err = s.Release(t.Context(), "show", []boxoffice.SeatID{"A1"}, "guest")
		}
		if err != c.err || got.Version != c.change.Version {
			t.Errorf("the store's answer changed on the way: %+v, %v", got, err)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{
		`boxoffice_seat_operations_total{operation="book",result="changed"} 1`,
		`boxoffice_seat_operations_total{operation="book",result="unchanged"} 1`,
		`boxoffice_seat_operations_total{operation="book",result="taken"} 1`,
		`boxoffice_seat_operations_total{operation="book",result="seat_limit"} 1`,
		`boxoffice_seat_operations_total{operation="release",result="unavailable"} 1`,
		`boxoffice_seat_operations_total{operation="release",result="canceled"} 1`,
		`boxoffice_seat_operations_total{operation="release",result="error"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("no line %s in:\n%s", line, rec.Body.String())
		}
	}
}

// The open-streams gauge follows streams up and down, and every end is
// counted under its reason.
func TestStreams(t *testing.T) {
	m := metrics.New()
	m.StreamOpened()
	m.StreamOpened()
	m.StreamClosed("slow")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range []string{
		"boxoffice_event_streams 1",
		`boxoffice_event_streams_closed_total{why="slow"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("no line %s in:\n%s", line, rec.Body.String())
		}
	}
}

// boxoffice_build_info names the build that serves, once: set again, it
// moves rather than leaving the old build's series behind.
func TestBuildInfo(t *testing.T) {
	m := metrics.New()
	m.SetBuild("v1.0.0", "aaaa", "go1.26.0")
	m.SetBuild("v1.1.0", "bbbb", "go1.26.1")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if line := `boxoffice_build_info{go_version="go1.26.1",revision="bbbb",version="v1.1.0"} 1`; !strings.Contains(body, line+"\n") {
		t.Errorf("no line %s in:\n%s", line, body)
	}
	if n := strings.Count(body, "\nboxoffice_build_info{"); n != 1 {
		t.Errorf("%d boxoffice_build_info series; want 1", n)
	}
}
