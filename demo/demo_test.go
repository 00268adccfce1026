package demo

import (
	"bytes"
	"testing"
	"time"

	"boxoffice"
)

func TestProgramme(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	// Late evening: the hardest case for "at least a day ahead".
	now := time.Date(2026, 11, 25, 23, 59, 0, 0, loc)
	p, err := Programme(now, loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Halls) < 2 || len(p.Shows) < 3 {
		t.Fatalf("%d halls, %d shows; want at least 2 and 3", len(p.Halls), len(p.Shows))
	}
	small, large := len(p.Halls[0].Layout.Seats), len(p.Halls[1].Layout.Seats)
	if small < 50 || small > 70 || large < 300 || large > 500 {
		t.Errorf("halls have %d and %d seats; want about 60 and 300-500", small, large)
	}
	if len(p.Halls[1].Layout.Aisles) == 0 {
		t.Error("the large hall has no aisle")
	}
	wheelchair := 0
	for _, s := range p.Halls[1].Layout.Seats {
		if s.Kind == "wheelchair" {
			wheelchair++
		}
	}
	if wheelchair == 0 {
		t.Error("the large hall has no wheelchair places")
	}
	ids := map[string]bool{}
	for _, s := range p.Shows {
		if d := s.StartsAt.Sub(now); d < 24*time.Hour || d > 7*24*time.Hour {
			t.Errorf("%s starts %v after seeding; want 1 to 7 days", s.ID, d)
		}
		if ids[string(s.ID)] {
			t.Errorf("show id %s repeats", s.ID)
		}
		ids[string(s.ID)] = true
	}
}

// Whatever the day and zone of seeding, the first show is two days after
// today there, and every show keeps its wall-clock time, summer time or not:
// the demo stays in the coming week forever.
func TestProgrammeMovesToTheComingWeek(t *testing.T) {
	wall := map[string]string{ // the document's times
		"the-long-night": "20:00", "paper-moons": "18:30", "harbour-lights": "17:15", "a-quiet-field": "21:00",
	}
	var zones []*time.Location
	for _, name := range []string{"UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, loc)
	}
	for _, loc := range zones {
		for _, local := range []time.Time{
			time.Date(2026, 3, 27, 0, 1, 0, 0, loc),    // Berlin's clocks go forward on the 29th, in the week
			time.Date(2026, 10, 22, 23, 59, 0, 0, loc), // and back on the 25th
			time.Date(2026, 11, 1, 12, 0, 0, 0, loc),   // New York's go back that day
			time.Date(2025, 12, 31, 22, 0, 0, 0, loc),  // a new year, before the document's week
			time.Date(2031, 2, 27, 8, 0, 0, 0, loc),    // years after it, before a 29 February
		} {
			now := local.UTC() // the server's clock knows no zone
			p, err := Programme(now, loc)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Shows) != len(wall) {
				t.Fatalf("%d shows; want %d", len(p.Shows), len(wall))
			}
			first := p.Shows[0].StartsAt.In(loc)
			if y, m, d := local.AddDate(0, 0, 2).Date(); first.Year() != y || first.Month() != m || first.Day() != d {
				t.Errorf("%s, today %s: the first show is on %s; want two days later", loc, local.Format("Mon 2 Jan 2006"), first.Format("Mon 2 Jan 2006"))
			}
			for _, s := range p.Shows {
				at := s.StartsAt.In(loc)
				if got := at.Format("15:04"); got != wall[string(s.ID)] {
					t.Errorf("%s, today %s: %s starts at %s; want %s", loc, local.Format("2 Jan 2006"), s.ID, got, wall[string(s.ID)])
				}
				if d := s.StartsAt.Sub(now); d < 24*time.Hour || d > 7*24*time.Hour {
					t.Errorf("%s, today %s: %s starts %v after seeding; want 1 to 7 days", loc, local.Format("2 Jan 2006"), s.ID, d)
				}
				if s.Hall.ID == "" || len(s.Hall.Layout.Seats) == 0 {
					t.Errorf("%s has no hall", s.ID)
				}
			}
		}
	}
}

// The demo is a document an operator could have written: the same parser
// reads it, and exported it reads back the same.
func TestProgrammeIsADocument(t *testing.T) {
	p, err := boxoffice.ParseProgramme(bytes.NewReader(document))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := boxoffice.FormatProgramme(&buf, p, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(document) {
		t.Errorf("programme.json is not in the export's form; formatted:\n%s", buf.String())
	}
}
