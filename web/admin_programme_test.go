package web_test

import (
	"bytes"
	"strings"
	"testing"

	"boxoffice"
)

// GET answers the programme as a document that ParseProgramme reads; PUT
// imports one, dry or for real, and reports what it did.
func TestAdminProgramme(t *testing.T) {
	e := newAdminEnv(t, nil)
	g := e.guest()
	got := g.admin("GET", "/api/admin/programme", "", "")
	if got.status != 200 || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET: %d %q", got.status, got.header.Get("Content-Type"))
	}
	p, err := boxoffice.ParseProgramme(bytes.NewReader(got.body))
	if err != nil {
		t.Fatalf("the programme does not parse: %v\n%s", err, got.body)
	}
	if len(p.Halls) != 1 || len(p.Shows) != 2 {
		t.Fatalf("programme: %d halls, %d shows, want 1 and 2", len(p.Halls), len(p.Shows))
	}

	doc := `{"halls":[{"id":"studio","name":"Studio","layout":"A ss\n"}],
		"shows":[{"id":"late","title":"Late Film","hall":"studio","starts_at":"2030-01-01T23:00:00+01:00"}]}`
	rep := adminJSON(t, g.admin("PUT", "/api/admin/programme?dry_run=true", "application/json", doc), 200)
	if want := "map[added:[hall:studio show:late] changed:[] unchanged:[]]"; fmtJSON(rep) != want {
		t.Errorf("dry run: %v, want %s", rep, want)
	}
	if r := g.do("GET", "/api/shows/late", "", ""); r.status != 404 {
		t.Errorf("after a dry run the show exists: %d", r.status)
	}
	rep = adminJSON(t, g.admin("PUT", "/api/admin/programme", "application/json", doc), 200)
	if want := "map[added:[hall:studio show:late] changed:[] unchanged:[]]"; fmtJSON(rep) != want {
		t.Errorf("import: %v, want %s", rep, want)
	}
	if r := g.do("GET", "/api/shows/late", "", ""); r.status != 200 {
		t.Errorf("the imported show: %d", r.status)
	}
	// Export, then import: nothing changes.
	export := g.admin("GET", "/api/admin/programme", "", "")
	rep = adminJSON(t, g.admin("PUT", "/api/admin/programme", "application/json", string(export.body)), 200)
	if len(rep["added"].([]any))+len(rep["changed"].([]any)) != 0 || len(rep["unchanged"].([]any)) != 5 {
		t.Errorf("export then import: %v, want all 5 unchanged", rep)
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
		typ              string
	}{
		{"malformed JSON", "/api/admin/programme", `{"halls":[`, 400, "/problems/malformed-request"},
		{"an unknown field", "/api/admin/programme", `{"halls":[],"films":[]}`, 422, "/problems/invalid-programme"},
		{"a bad layout", "/api/admin/programme", `{"halls":[{"id":"x","name":"X","layout":"?"}]}`, 422, "/problems/invalid-programme"},
		{"a bad dry_run", "/api/admin/programme?dry_run=maybe", doc, 400, "/problems/malformed-request"},
	} {
		r := g.admin("PUT", tc.path, "application/json", tc.body)
		if p := wantProblem(t, r, tc.status); p["type"] != tc.typ {
			t.Errorf("%s: type %v, want %s", tc.name, p["type"], tc.typ)
		}
	}
	if r := g.admin("PUT", "/api/admin/programme", "text/plain", doc); r.status != 415 {
		t.Errorf("text/plain: %d, want 415", r.status)
	}

	// A booking stands in the way of cancelling: 409, and nothing of the
	// document is applied, the new hall included.
	g.book(openShow, "A1")
	conflict := `{"halls":[{"id":"other","name":"Other","layout":"A s\n"}],
		"shows":[{"id":"` + openShow + `","title":"Open Film","hall":"h","starts_at":"2030-01-01T20:00:00Z","sales":"cancelled"}]}`
	if p := wantProblem(t, g.admin("PUT", "/api/admin/programme", "application/json", conflict), 409); p["type"] != "/problems/programme-conflict" {
		t.Errorf("conflict: type %v", p["type"])
	}
	if strings.Contains(string(g.admin("GET", "/api/admin/programme", "", "").body), `"other"`) {
		t.Error("a refused import added a hall")
	}
}

func fmtJSON(m map[string]any) string {
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range []string{"added", "changed", "unchanged"} {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k + ":[")
		for j, v := range m[k].([]any) {
			if j > 0 {
				b.WriteString(" ")
			}
			b.WriteString(v.(string))
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	return b.String()
}

// PUT of a hall or show: 201 new, 200 replaced, the body the item as the
// document writes it; the path's id wins or the body's must match.
func TestAdminPutHallAndShow(t *testing.T) {
	e := newAdminEnv(t, nil)
	g := e.guest()
	hall := `{"name":"Studio","layout":"A sss\n"}`
	h := adminJSON(t, g.admin("PUT", "/api/admin/halls/studio", "application/json", hall), 201)
	if h["id"] != "studio" || h["name"] != "Studio" || h["layout"] != "A sss\n" {
		t.Errorf("created hall: %v", h)
	}
	adminJSON(t, g.admin("PUT", "/api/admin/halls/studio", "application/json", hall), 200)
	h = adminJSON(t, g.admin("PUT", "/api/admin/halls/studio", "application/json", `{"id":"studio","name":"Studio 2","layout":"A sss\n"}`), 200)
	if h["name"] != "Studio 2" {
		t.Errorf("renamed hall: %v", h)
	}

	show := `{"title":"New Film","hall":"studio","starts_at":"2030-06-01T20:00:00+02:00","max_seats_per_guest":4}`
	s := adminJSON(t, g.admin("PUT", "/api/admin/shows/new", "application/json", show), 201)
	if s["id"] != "new" || s["hall"] != "studio" || s["sales"] != "open" || s["max_seats_per_guest"] != float64(4) ||
		s["starts_at"] != "2030-06-01T18:00:00Z" { // in the cinema's zone, UTC here
		t.Errorf("created show: %v", s)
	}
	if r := g.do("GET", "/api/shows/new", "", ""); r.status != 200 {
		t.Errorf("the new show is not on the guest API: %d", r.status)
	}
	s = adminJSON(t, g.admin("PUT", "/api/admin/shows/new", "application/json", `{"id":"new","title":"New Film","hall":"studio","starts_at":"2030-06-01T21:00:00+02:00","sales":"closed"}`), 200)
	if s["sales"] != "closed" || s["starts_at"] != "2030-06-01T19:00:00Z" {
		t.Errorf("replaced show: %v", s)
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
		typ              string
	}{
		{"a hall whose id differs", "/api/admin/halls/studio", `{"id":"other","name":"S","layout":"A s\n"}`, 422, "/problems/invalid-programme"},
		{"a hall with an unknown field", "/api/admin/halls/studio", `{"name":"S","layout":"A s\n","seats":3}`, 422, "/problems/invalid-programme"},
		{"a hall without a layout", "/api/admin/halls/studio", `{"name":"S"}`, 422, "/problems/invalid-programme"},
		{"a hall that is not an object", "/api/admin/halls/studio", `[1]`, 422, "/problems/invalid-programme"},
		{"a hall of malformed JSON", "/api/admin/halls/studio", `{"name":`, 400, "/problems/malformed-request"},
		{"a hall with a bad id", "/api/admin/halls/no%20spaces", `{"name":"S","layout":"A s\n"}`, 422, "/problems/invalid-programme"},
		{"a show whose id differs", "/api/admin/shows/new", `{"id":"old","title":"T","hall":"studio","starts_at":"2030-06-01T20:00:00Z"}`, 422, "/problems/invalid-programme"},
		{"a show without a title", "/api/admin/shows/new", `{"hall":"studio","starts_at":"2030-06-01T20:00:00Z"}`, 422, "/problems/invalid-programme"},
		{"a show in no hall", "/api/admin/shows/new", `{"title":"T","hall":"nowhere","starts_at":"2030-06-01T20:00:00Z"}`, 422, "/problems/invalid-programme"},
		{"a show of malformed JSON", "/api/admin/shows/new", `nope`, 400, "/problems/malformed-request"},
	} {
		r := g.admin("PUT", tc.path, "application/json", tc.body)
		if r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
			continue
		}
		if p := wantProblem(t, r, tc.status); p["type"] != tc.typ {
			t.Errorf("%s: type %v, want %s", tc.name, p["type"], tc.typ)
		}
	}

	// Bookings stand in the way: a layout without a booked seat, a booked
	// show moving hall.
	g.book(openShow, "C6")
	if p := wantProblem(t, g.admin("PUT", "/api/admin/halls/h", "application/json", `{"name":"Hall One","layout":"A sss.sss\n"}`), 409, "C6"); p["type"] != "/problems/programme-conflict" {
		t.Errorf("a layout without a booked seat: %v", p["type"])
	}
	move := `{"title":"Open Film","hall":"studio","starts_at":"2030-01-01T20:00:00Z"}`
	if p := wantProblem(t, g.admin("PUT", "/api/admin/shows/"+openShow, "application/json", move), 409); p["type"] != "/problems/programme-conflict" {
		t.Errorf("a booked show moving hall: %v", p["type"])
	}
	if g.statuses(openShow)["C6"] != "mine" {
		t.Error("a refused change lost a booking")
	}
}

// DELETE of a hall: only one no show plays in; DELETE of a show cancels
// it, releasing its bookings only when forced.
func TestAdminDeleteHallAndCancelShow(t *testing.T) {
	e := newAdminEnv(t, nil)
	g := e.guest()
	adminJSON(t, g.admin("PUT", "/api/admin/halls/empty", "application/json", `{"name":"Empty","layout":"A s\n"}`), 201)
	if p := wantProblem(t, g.admin("DELETE", "/api/admin/halls/h", "", ""), 409); p["type"] != "/problems/programme-conflict" {
		t.Errorf("a hall shows play in: %v", p["type"])
	}
	if r := adminJSON(t, g.admin("DELETE", "/api/admin/halls/empty", "", ""), 200); r["deleted"] != "hall:empty" {
		t.Errorf("deleted: %v", r)
	}
	wantProblem(t, g.admin("DELETE", "/api/admin/halls/empty", "", ""), 404)

	g.bookMany(openShow, `{"seats":["A1","A2"]}`)
	if p := wantProblem(t, g.admin("DELETE", "/api/admin/shows/"+openShow, "", ""), 409); p["type"] != "/problems/programme-conflict" {
		t.Errorf("cancelling a booked show: %v", p["type"])
	}
	wantProblem(t, g.admin("DELETE", "/api/admin/shows/"+openShow+"?force=perhaps", "", ""), 400)
	if r := adminJSON(t, g.admin("DELETE", "/api/admin/shows/"+openShow+"?force=true", "", ""), 200); r["released"] != float64(2) {
		t.Errorf("forced cancel: %v, want released 2", r)
	}
	if r := adminJSON(t, g.admin("DELETE", "/api/admin/shows/"+openShow, "", ""), 200); r["released"] != float64(0) {
		t.Errorf("cancelling again: %v, want released 0", r)
	}
	wantProblem(t, g.admin("DELETE", "/api/admin/shows/nope", "", ""), 404)
	for _, sum := range adminJSON(t, g.do("GET", "/api/shows", "", ""), 200)["shows"].([]any) {
		if sum.(map[string]any)["id"] == openShow {
			t.Error("the cancelled show is still listed")
		}
	}
}
