package demo

import (
	"testing"
	"time"
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
