package sqlite

import (
	"context"
	"errors"

	"boxoffice"
)

// errNotYet stands in for the programme's store methods until they are
// written (issue 13).
var errNotYet = errors.New("sqlite: not implemented yet")

// Programme returns every hall and show.
func (s *Store) Programme(ctx context.Context) (boxoffice.Programme, error) {
	return boxoffice.Programme{}, errNotYet
}

// ApplyProgramme creates or updates halls and shows.
func (s *Store) ApplyProgramme(ctx context.Context, p boxoffice.Programme, dryRun bool) (boxoffice.ProgrammeReport, error) {
	return boxoffice.ProgrammeReport{}, errNotYet
}

// CancelShow cancels a show.
func (s *Store) CancelShow(ctx context.Context, id boxoffice.ShowID, force bool) (int, error) {
	return 0, errNotYet
}

// DeleteHall deletes a hall no show plays in.
func (s *Store) DeleteHall(ctx context.Context, id boxoffice.HallID) error {
	return errNotYet
}
