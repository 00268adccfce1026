package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"boxoffice"
	"boxoffice/postgres"
	"boxoffice/sqlite"
)

// openCommandStore opens the database for a command that is not a server
// (programme import and export); tests replace it with a fake store.
var openCommandStore = func(ctx context.Context, db string, log *slog.Logger) (boxoffice.Store, error) {
	return openStore(ctx, Config{DB: db}, log, nil, nil)
}

const programmeUsage = `Usage:
  boxoffice programme import FILE [--dry-run] [--db …]
      create or update the halls and shows FILE names, by id, all or nothing;
      FILE "-" is standard input. Prints "added", "changed" or "unchanged" for
      each; --dry-run prints the same and changes nothing. On SQLite it
      refuses while a server is using the database.
  boxoffice programme export [--db …] [--timezone …]
      write the whole programme, cancelled shows included, to standard output

Flags:
`

// programmeCommand is "boxoffice programme import|export".
func programmeCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, programmeUsage)
		return errors.New("programme: want import or export; run boxoffice programme help")
	}
	verb, args := args[0], args[1:]
	env := func(name, def string) string { return envOr(getenv, name, def) }
	fs := flag.NewFlagSet("boxoffice programme", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, programmeUsage)
		fs.PrintDefaults()
	}
	db := fs.String("db", env("BOXOFFICE_DB", "boxoffice.db"), "SQLite database file or a postgres:// URL [BOXOFFICE_DB]")
	tz := fs.String("timezone", env("BOXOFFICE_TIMEZONE", "Local"), "the cinema's time zone, for the offsets export writes [BOXOFFICE_TIMEZONE]")
	dryRun := fs.Bool("dry-run", false, "import: say what would change, change nothing")
	switch verb {
	case "help", "-h", "-help", "--help":
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, programmeUsage)
		fs.PrintDefaults()
		return nil
	case "import", "export":
	default:
		return fmt.Errorf("programme: unknown command %q; want import or export", verb)
	}
	operands, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if *db == "" {
		return errors.New("the database (--db) must not be empty")
	}
	// Only warnings: stdout is the command's answer, and an operator
	// needs no "database opened" line.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if verb == "export" {
		if len(operands) > 0 {
			return fmt.Errorf("programme export: unexpected argument %q; it writes to standard output", operands[0])
		}
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return fmt.Errorf("time zone %q: %w", *tz, err)
		}
		return exportProgramme(ctx, *db, loc, log, stdout)
	}
	if len(operands) != 1 {
		return errors.New("programme import: want one file (or - for standard input)")
	}
	return importProgramme(ctx, *db, operands[0], *dryRun, log, stdin, stdout, stderr)
}

// parseInterspersed parses flags wherever they stand among the operands, so
// that "import my.json --dry-run" means what it says: the flag package
// alone stops at the first operand.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return operands, nil
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func importProgramme(ctx context.Context, db, file string, dryRun bool, log *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) error {
	// The document is read and checked before the database is touched: an
	// invalid one changes nothing, not even by creating the database file.
	r, name := stdin, "standard input"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, file
	}
	p, err := boxoffice.ParseProgramme(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !postgres.IsURL(db) {
		lock, err := lockSQLite(db, "import")
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	store, err := openCommandStore(ctx, db, log)
	if err != nil {
		return err
	}
	defer store.Close()
	report, err := store.ApplyProgramme(ctx, p, dryRun)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := printReport(stdout, p, report); err != nil {
		return err
	}
	summary := fmt.Sprintf("%d added, %d changed, %d unchanged", len(report.Added), len(report.Changed), len(report.Unchanged))
	if dryRun {
		summary = "dry run, nothing changed: " + summary + " if imported"
	}
	_, err = fmt.Fprintln(stderr, summary)
	return err
}

// printReport writes one line per hall and show, in the document's order:
// "added hall:studio", "changed show:dune", "unchanged show:...".
func printReport(w io.Writer, p boxoffice.Programme, r boxoffice.ProgrammeReport) error {
	verb := map[string]string{}
	var order []string // the report's own order, for any item p does not name
	for _, l := range []struct {
		verb string
		ids  []string
	}{{"added", r.Added}, {"changed", r.Changed}, {"unchanged", r.Unchanged}} {
		for _, id := range l.ids {
			verb[id] = l.verb
			order = append(order, id)
		}
	}
	var lines []string
	for _, h := range p.Halls {
		lines = append(lines, "hall:"+string(h.ID))
	}
	for _, sh := range p.Shows {
		lines = append(lines, "show:"+string(sh.ID))
	}
	lines = append(lines, order...)
	for _, id := range lines {
		v, ok := verb[id]
		if !ok {
			continue
		}
		delete(verb, id) // once each
		if _, err := fmt.Fprintln(w, v, id); err != nil {
			return err
		}
	}
	return nil
}

func exportProgramme(ctx context.Context, db string, loc *time.Location, log *slog.Logger, stdout io.Writer) error {
	if !postgres.IsURL(db) {
		// Opening would create an empty database and export nothing,
		// which reads like a programme lost rather than a wrong path.
		if _, err := os.Stat(db); err != nil {
			return fmt.Errorf("no database to export: %w", err)
		}
	}
	store, err := openCommandStore(ctx, db, log)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := store.Programme(ctx)
	if err != nil {
		return err
	}
	return boxoffice.FormatProgramme(stdout, p, loc)
}

// lockSQLite takes the lock a serving server holds on a SQLite database,
// for doing, and says plainly who holds it when it cannot.
func lockSQLite(db, doing string) (*sqlite.ServerLock, error) {
	lock, err := sqlite.Lock(db)
	if errors.Is(err, sqlite.ErrLocked) {
		hint := "stop it first"
		if doing == "import" {
			hint += ", or make the change through its admin API (/api/admin/programme)"
		}
		return nil, fmt.Errorf("cannot %s: a boxoffice server (or another import) is using %s: it holds %s; %s", doing, db, sqlite.LockPath(db), hint)
	}
	return lock, err
}
