package server

import (
	"context"
	"errors"
	"io"
)

// TODO(issue 15): stubs, each replaced by its helper's command.

func healthcheckCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("healthcheck: not built yet")
}

func versionCommand(stdout io.Writer) error { return errors.New("version: not built yet") }

func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("backup: not built yet")
}

func restoreCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("restore: not built yet")
}
