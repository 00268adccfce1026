// Package demo provides the programme that a new boxoffice database starts
// with: two halls, read from the layout files in halls/, and a few shows in
// the days after it is seeded.
package demo

import (
	"embed"
	"fmt"
	"strings"
	"time"

	"boxoffice"
)

//go:embed halls/*.hall
var hallFiles embed.FS

// halls names the demo halls and the layout file of each.
var halls = []struct {
	id, name, file string
}{
	{"studio", "Studio", "halls/studio.hall"},
	{"grand", "Grand", "halls/grand.hall"},
}

// films are the demo screenings: which hall, how many days after seeding, and
// at what local time. Days 2 to 6 keep every start between one and seven days
// away whatever the time of seeding.
var films = []struct {
	title  string
	hall   string
	day    int
	hh, mm int
}{
	{"The Long Night", "grand", 2, 20, 0},
	{"Paper Moons", "studio", 3, 18, 30},
	{"Harbour Lights", "grand", 4, 17, 15},
	{"A Quiet Field", "studio", 6, 21, 0},
}

// Programme returns the demo halls and shows, scheduled relative to now in
// the cinema's time zone loc.
func Programme(now time.Time, loc *time.Location) (boxoffice.Programme, error) {
	var p boxoffice.Programme
	byID := map[string]boxoffice.Hall{}
	for _, h := range halls {
		src, err := hallFiles.ReadFile(h.file)
		if err != nil {
			return p, err
		}
		layout, err := boxoffice.ParseLayout(string(src))
		if err != nil {
			return p, fmt.Errorf("demo hall %s: %w", h.id, err)
		}
		hall := boxoffice.Hall{ID: boxoffice.HallID(h.id), Name: h.name, Layout: layout}
		byID[h.id] = hall
		p.Halls = append(p.Halls, hall)
	}
	local := now.In(loc)
	for _, f := range films {
		start := time.Date(local.Year(), local.Month(), local.Day()+f.day, f.hh, f.mm, 0, 0, loc)
		p.Shows = append(p.Shows, boxoffice.Show{
			ID:       boxoffice.ShowID(slug(f.title) + start.Format("-0102-1504")),
			Title:    f.title,
			StartsAt: start,
			Hall:     byID[f.hall],
		})
	}
	return p, nil
}

// slug turns a title into a readable id: "The Long Night" → "the-long-night".
func slug(title string) string {
	return strings.ReplaceAll(strings.ToLower(title), " ", "-")
}
