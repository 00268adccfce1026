package server

import (
	"context"
	"errors"
	"io"
)

// TODO(issue 15): stubs, replaced by the container helper's commands.

func healthcheckCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("healthcheck: not built yet")
}

func versionCommand(stdout io.Writer) error { return errors.New("version: not built yet") }
