package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"boxoffice/postgres"
	"boxoffice/sqlite"
)

const backupUsage = `Usage:
  boxoffice backup FILE [--force] [--db …]
      write a copy of the SQLite database to FILE, as it stands at one
      moment, while a server goes on serving it; refuses to replace FILE
      unless --force. FILE gets mode 0600: it holds what the database holds.
  boxoffice restore FILE [--db …]
      put the backup FILE in place of the database, after checking it; the
      server must be stopped (restore refuses while one uses the database).
  On PostgreSQL both say which pg_dump or pg_restore command to run instead.

Flags:
`

// backupFlags parses the flags of backup and restore, wherever they stand
// among the operands, and returns the one operand, FILE.
func backupFlags(verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) (file, db string, force bool, err error) {
	fs := flag.NewFlagSet("boxoffice "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), backupUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&db, "db", envOr(getenv, "BOXOFFICE_DB", "boxoffice.db"), "SQLite database file or a postgres:// URL [BOXOFFICE_DB]")
	if verb == "backup" {
		fs.BoolVar(&force, "force", false, "replace FILE if it exists")
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fs.SetOutput(stdout)
		fs.Usage()
		return "", "", false, flag.ErrHelp
	}
	operands, err := parseInterspersed(fs, args)
	if err != nil {
		return "", "", false, err
	}
	if len(operands) != 1 {
		return "", "", false, fmt.Errorf("%s: want one file, e.g. boxoffice %s /backups/boxoffice-$(date +%%F).db", verb, verb)
	}
	if db == "" {
		return "", "", false, errors.New("the database (--db) must not be empty")
	}
	return operands[0], db, force, nil
}

// backupCommand is "boxoffice backup FILE". It takes no lock: it runs
// beside a serving server, reading one snapshot.
func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	file, db, force, err := backupFlags("backup", args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if postgres.IsURL(db) {
		return fmt.Errorf("backup copies a SQLite database; %s is PostgreSQL: back it up with pg_dump, which reads one snapshot while the servers go on:\n"+
			"  pg_dump --format=custom --file=%s '%s'\n"+
			"and restore it with pg_restore (boxoffice restore %s --db … says how)", redactDB(db), file, libpqURL(db), file)
	}
	began := time.Now()
	if err := sqlite.Backup(ctx, db, file, force); err != nil {
		if errors.Is(err, sqlite.ErrExists) {
			return fmt.Errorf("backup: %s exists; choose another name, or give --force to replace it", file)
		}
		return fmt.Errorf("backup: %w", err)
	}
	size := ""
	if fi, err := os.Stat(file); err == nil {
		size = fmt.Sprintf(", %d bytes", fi.Size())
	}
	_, err = fmt.Fprintf(stdout, "backed up %s to %s (mode 0600%s) in %v: the database as it stood at %s; bookings made after then are not in it\n",
		db, file, size, time.Since(began).Round(time.Millisecond), began.Format(time.RFC3339))
	return err
}

// restoreCommand is "boxoffice restore FILE". It holds the lock a server
// holds throughout: no server may start on the database half restored, nor
// go on writing to a file restore replaced.
func restoreCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	file, db, _, err := backupFlags("restore", args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if postgres.IsURL(db) {
		return fmt.Errorf("restore puts a SQLite backup in place; %s is PostgreSQL: restore a pg_dump archive with pg_restore, the boxoffice servers stopped:\n"+
			"  pg_restore --clean --if-exists --no-owner --single-transaction --dbname='%s' %s", redactDB(db), libpqURL(db), file)
	}
	lock, err := lockSQLite(db, "restore")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	_, statErr := os.Stat(db)
	r, err := sqlite.Restore(ctx, file, db)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	replaced := "replaced the database " + db
	if errors.Is(statErr, os.ErrNotExist) {
		replaced = "created the database " + db
	}
	if _, err := fmt.Fprintf(stdout, "restored %s: checked it (integrity and schema) and %s with it, mode 0600\n", file, replaced); err != nil {
		return err
	}
	if len(r.Removed) > 0 {
		if _, err := fmt.Fprintf(stdout, "removed %s: the log of the database it replaced, which SQLite would have replayed onto the backup\n",
			strings.Join(r.Removed, ", ")); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "start the server on it: boxoffice serve --db %s\n", db)
	return err
}

// libpqURL is db as pg_dump and pg_restore take it: without the pool_*
// parameters, which pgx reads and libpq refuses, and without the password,
// which the operator has and a terminal's scrollback should not.
func libpqURL(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		return "(the database URL)"
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}
