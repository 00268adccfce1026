package server

import (
	"context"
	"errors"
	"io"
)

// TODO(issue 15): stubs, replaced by the backup helper's commands.

func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("backup: not built yet")
}

func restoreCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("restore: not built yet")
}
