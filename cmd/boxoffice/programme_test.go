package main_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/testbin"
)

// An operator's programme, in the future whenever the test runs, with a
// show whose sales are closed and one in a second hall.
func myProgramme(t *testing.T) string {
	t.Helper()
	loc := time.FixedZone("", 3600)
	day := time.Now().In(loc).AddDate(0, 0, 3).Format("2006-01-02")
	return `{
  "halls": [
    {"id": "studio", "name": "Studio", "layout": "A sssss.sssss\nB sssss.sssss\n-\nC wc.sssss.cw\n"},
    {"id": "big", "name": "Big Room", "layout": "A ssssssss\nB ssssssss\nC ssssssss\n"}
  ],
  "shows": [
    {"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "` + day + `T20:00:00+01:00", "max_seats_per_guest": 6},
    {"id": "heat", "title": "Heat", "hall": "big", "starts_at": "` + day + `T22:15:00+01:00", "sales": "closed"}
  ]
}
`
}

// command runs the boxoffice binary to its end with stdin, configured by
// its flags alone.
func command(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = testbin.Env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// The "done when": a programme imported into a fresh database is
// exactly what a server started without the demo shows, and export gives
// it back. (Needs the stores' programme methods.)
func TestImportThenServe(t *testing.T) {
	dir := t.TempDir()
	db, file := filepath.Join(dir, "boxoffice.db"), filepath.Join(dir, "my.json")
	doc := myProgramme(t)
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := command(t, "", "programme", "import", file, "--db", db)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	if want := "added hall:studio\nadded hall:big\nadded show:dune\nadded show:heat\n"; out != want {
		t.Errorf("import printed:\n%s\nwant:\n%s", out, want)
	}

	p := start(t, db, "--demo=false")
	resp, err := http.Get(p.Base + "/api/shows")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Shows []struct {
			ID, Title, Hall string
			Open            bool
			Capacity        int
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range list.Shows {
		got = append(got, strings.Join([]string{s.ID, s.Title, s.Hall}, "/"))
	}
	if strings.Join(got, " ") != "dune/Dune/Studio heat/Heat/Big Room" {
		t.Errorf("GET /api/shows lists %v; want exactly dune and heat", got)
	}
	if len(list.Shows) == 2 && (list.Shows[0].Capacity != 29 || !list.Shows[0].Open || list.Shows[1].Open) {
		t.Errorf("shows %+v; want dune open with 29 seats, heat closed", list.Shows)
	}

	// Export works beside the running server, and gives the document back.
	exported, errOut, err := command(t, "", "programme", "export", "--db", db, "--timezone", "Africa/Lagos") // +01:00 all year
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errOut)
	}
	if exported != normalized(t, doc) {
		t.Errorf("export:\n%s\nwant the imported document:\n%s", exported, normalized(t, doc))
	}
}

// normalized is doc as export writes it: indented, sales always present,
// halls by id and shows by start (the programme's order, not the file's).
func normalized(t *testing.T, doc string) string {
	t.Helper()
	type hall struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Layout string `json:"layout"`
	}
	type show struct {
		ID               string `json:"id"`
		Title            string `json:"title"`
		Hall             string `json:"hall"`
		StartsAt         string `json:"starts_at"`
		Sales            string `json:"sales"`
		MaxSeatsPerGuest *int   `json:"max_seats_per_guest,omitempty"`
	}
	var v struct {
		Halls []hall `json:"halls"`
		Shows []show `json:"shows"`
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	for i := range v.Shows {
		if v.Shows[i].Sales == "" {
			v.Shows[i].Sales = "open"
		}
	}
	slices.SortFunc(v.Halls, func(a, b hall) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(v.Shows, func(a, b show) int {
		ta, _ := time.Parse(time.RFC3339, a.StartsAt)
		tb, _ := time.Parse(time.RFC3339, b.StartsAt)
		return cmp.Or(ta.Compare(tb), strings.Compare(a.ID, b.ID))
	})
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out) + "\n"
}

// While a server serves a SQLite file, import from another process is
// refused with the reason and an exit status of 1; an invalid document is
// refused naming what to fix.
func TestImportRefusals(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "boxoffice.db")
	p := start(t, db)
	_, errOut, err := command(t, myProgramme(t), "programme", "import", "-", "--db", db)
	if code := exitCode(err); code != 1 || !strings.Contains(errOut, "a boxoffice server") || !strings.Contains(errOut, db) {
		t.Errorf("import beside a server: exit %d, %q; want 1 and the reason", code, errOut)
	}
	if err := p.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("server exit: %v", err)
	}

	bad := strings.Replace(myProgramme(t), `"A ssssssss\nB ssssssss`, `"A ssssssss\nB sss?ssss`, 1)
	_, errOut, err = command(t, bad, "programme", "import", "-", "--db", db, "--dry-run")
	if code := exitCode(err); code != 1 || !strings.Contains(errOut, "hall big: layout line 2") {
		t.Errorf("an invalid document: exit %d, %q; want 1 naming hall big and line 2", code, errOut)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	return -1
}
