// Package demo provides the programme that a new boxoffice database starts
// with: two halls and four shows, kept as a programme document
// (programme.json) and moved at seeding into the days after it.
package demo

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"time"

	"boxoffice"
)

// document is the demo programme in a reference week: its shows on days 2,
// 3, 4 and 6 counted from the day before the first, so that shifted to
// today every start lies between one and seven days away whatever the time
// of seeding.
//
//go:embed programme.json
var document []byte

// Programme returns the demo halls and shows, read through the same parser
// as an operator's file, every show moved by the whole number of days that
// puts the first one two days after now's date in the cinema's time zone
// loc. Each keeps the wall-clock time the document gives it, in loc, across
// a change to or from summer time.
func Programme(now time.Time, loc *time.Location) (boxoffice.Programme, error) {
	p, err := boxoffice.ParseProgramme(bytes.NewReader(document))
	if err != nil {
		return p, fmt.Errorf("the demo programme: %w", err)
	}
	if len(p.Shows) == 0 {
		return p, nil
	}
	first := slices.MinFunc(p.Shows, func(a, b boxoffice.Show) int { return a.StartsAt.Compare(b.StartsAt) }).StartsAt
	today := now.In(loc)
	// Days between two dates, counted on the calendar: UTC midnights have
	// no summer time to make a day 23 or 25 hours long.
	days := int(date(today.Year(), today.Month(), today.Day()+2).Sub(date(first.Date())).Hours() / 24)
	for i := range p.Shows {
		// The wall clock is the document's, read in the offset it was
		// written with, and then placed in loc.
		s := p.Shows[i].StartsAt
		p.Shows[i].StartsAt = time.Date(s.Year(), s.Month(), s.Day()+days, s.Hour(), s.Minute(), s.Second(), s.Nanosecond(), loc)
	}
	return p, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
