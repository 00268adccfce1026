package pgtemp_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"boxoffice/internal/pgtemp"
	"boxoffice/postgres/pgtest"
)

// The database made is empty and usable, and drop removes it even while a
// connection to it is still open (a server the load tool stops late, a
// test's leftover pool).
func TestCreateThenDrop(t *testing.T) {
	server := pgtest.Server(t)
	ctx := t.Context()
	db, drop, err := pgtemp.Create(ctx, server, "boxoffice_pgtemp_")
	if err != nil {
		t.Fatal(err)
	}
	name := pgtest.Name(t, db)
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("the new database has %d tables (%v), want an empty one", tables, err)
	}

	if err := drop(); err != nil {
		t.Fatalf("drop with a connection open: %v", err)
	}
	var left int
	admin := pgtest.Connect(t, server)
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&left); err != nil || left != 0 {
		t.Errorf("database %s still there after drop (%d, %v)", name, left, err)
	}
}

// Only a postgres:// URL names a server to create databases on.
func TestCreateWantsAURL(t *testing.T) {
	if _, _, err := pgtemp.Create(t.Context(), "boxoffice.db", "x_"); err == nil {
		t.Error("Create accepted a file name")
	}
}
