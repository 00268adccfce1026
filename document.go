package boxoffice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// MaxProgrammeBytes bounds a programme document. A cinema's whole history
// (every show ever, cancelled ones included, as export writes it) stays far
// below it; anything larger is a mistake or an attack, not a programme.
const MaxProgrammeBytes = 8 << 20

// The fields a document may hold: any other is refused, so that a typo
// ("start_at") is an error and not a silently missing value. Keys match
// exactly, unlike encoding/json's case-insensitive matching.
var (
	hallFields = []string{"id", "name", "layout"}
	showFields = []string{"id", "title", "hall", "starts_at", "sales", "max_seats_per_guest"}
)

// ParseProgramme reads a programme document (see README, "Running a
// cinema"): {"halls": [...], "shows": [...]}. It refuses, as an *Error with
// code EPROGRAMME whose detail names the hall or show, the field and, for a
// layout, the line: malformed JSON, unknown fields, data after the
// document, a document over MaxProgrammeBytes, a missing title, hall or
// starts_at, a starts_at without an offset, an unknown sales state, a
// negative max_seats_per_guest, and a programme the rules refuse.
//
// A show whose hall the document lacks gets a Hall with only its ID: the
// store holds that hall, or refuses the show.
func ParseProgramme(r io.Reader) (Programme, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxProgrammeBytes+1))
	if err != nil {
		return Programme{}, fmt.Errorf("reading the programme: %w", err)
	}
	if len(data) > MaxProgrammeBytes {
		return Programme{}, Errorf(EPROGRAMME, "The programme is larger than %d MiB", MaxProgrammeBytes>>20)
	}
	var top map[string]json.RawMessage
	if err := decodeStrict(data, &top); err != nil {
		return Programme{}, Errorf(EPROGRAMME, "The programme is not a JSON object: %s", jsonProblem(data, err))
	}
	if top == nil {
		return Programme{}, Errorf(EPROGRAMME, "The programme is not a JSON object")
	}
	for k := range top {
		if k != "halls" && k != "shows" {
			return Programme{}, Errorf(EPROGRAMME, "Unknown field %q in the programme (want halls and shows)", k)
		}
	}
	var halls, shows []json.RawMessage
	if err := json.Unmarshal(orNull(top["halls"]), &halls); err != nil {
		return Programme{}, Errorf(EPROGRAMME, "halls: want a list of halls")
	}
	if err := json.Unmarshal(orNull(top["shows"]), &shows); err != nil {
		return Programme{}, Errorf(EPROGRAMME, "shows: want a list of shows")
	}

	var p Programme
	for i, raw := range halls {
		h, err := parseHall(raw, i)
		if err != nil {
			return Programme{}, err
		}
		p.Halls = append(p.Halls, h)
	}
	for i, raw := range shows {
		sh, err := parseShow(raw, i, p.Halls)
		if err != nil {
			return Programme{}, err
		}
		p.Shows = append(p.Shows, sh)
	}
	if err := p.Check(); err != nil {
		return Programme{}, err
	}
	return p, nil
}

// decodeStrict decodes one JSON value and refuses anything after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the end of the document")
	}
	return nil
}

// jsonProblem says what is wrong with data and, for a syntax error, on which
// line: an operator's file is edited by hand.
func jsonProblem(data []byte, err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line := 1 + bytes.Count(data[:min(int(syntax.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, syntax)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "found " + typ.Value + " at the top"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the document is empty or cut short"
	}
	return err.Error()
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}

// fields splits one hall or show object into its fields, refusing unknown
// ones. what names the object in errors ("hall studio", "show #3").
func fields(raw json.RawMessage, kind string, i int, allowed []string) (map[string]json.RawMessage, string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, "", Errorf(EPROGRAMME, "%ss: item %d is not a JSON object", kind, i+1)
	}
	what := fmt.Sprintf("%s #%d", kind, i+1)
	var id string
	if json.Unmarshal(orNull(obj["id"]), &id) == nil && ValidID(id) {
		what = kind + " " + id
	}
	for k := range obj {
		if !slices.Contains(allowed, k) {
			return nil, what, Errorf(EPROGRAMME, "%s: unknown field %q (want %s)", what, k, strings.Join(allowed, ", "))
		}
	}
	return obj, what, nil
}

// str reads a string field; null and absent read as "".
func str(obj map[string]json.RawMessage, what, field string) (string, error) {
	var s string
	if err := json.Unmarshal(orNull(obj[field]), &s); err != nil {
		return "", Errorf(EPROGRAMME, "%s: %s: want a string", what, field)
	}
	return s, nil
}

func parseHall(raw json.RawMessage, i int) (Hall, error) {
	obj, what, err := fields(raw, "hall", i, hallFields)
	if err != nil {
		return Hall{}, err
	}
	var h Hall
	var id, src string
	if id, err = str(obj, what, "id"); err != nil {
		return Hall{}, err
	}
	if h.Name, err = str(obj, what, "name"); err != nil {
		return Hall{}, err
	}
	if src, err = str(obj, what, "layout"); err != nil {
		return Hall{}, err
	}
	h.ID = HallID(id)
	if src == "" {
		return Hall{}, Errorf(EPROGRAMME, "%s: layout: required (the hall's rows as text, e.g. \"A sssss.sssss\\n\")", what)
	}
	if h.Layout, err = ParseLayout(src); err != nil {
		return Hall{}, Errorf(EPROGRAMME, "%s: %v", what, err)
	}
	return h, nil
}

func parseShow(raw json.RawMessage, i int, halls []Hall) (Show, error) {
	obj, what, err := fields(raw, "show", i, showFields)
	if err != nil {
		return Show{}, err
	}
	var sh Show
	var id, title, hall, startsAt, sales string
	for _, f := range []struct {
		name string
		to   *string
	}{{"id", &id}, {"title", &title}, {"hall", &hall}, {"starts_at", &startsAt}, {"sales", &sales}} {
		if *f.to, err = str(obj, what, f.name); err != nil {
			return Show{}, err
		}
		if *f.to == "" && f.name != "id" && f.name != "sales" {
			return Show{}, Errorf(EPROGRAMME, "%s: %s: required", what, f.name)
		}
	}
	sh.ID, sh.Title = ShowID(id), title
	sh.Hall = Hall{ID: HallID(hall)}
	if j := slices.IndexFunc(halls, func(h Hall) bool { return h.ID == sh.Hall.ID }); j >= 0 {
		sh.Hall = halls[j]
	}
	if sh.StartsAt, err = time.Parse(time.RFC3339, startsAt); err != nil {
		return Show{}, Errorf(EPROGRAMME, "%s: starts_at: want a date and time with its offset (RFC 3339), e.g. 2026-12-06T20:00:00+01:00, not %q", what, startsAt)
	}
	// A year RFC 3339 can write in every time zone, so that an export in
	// the cinema's zone reads back; and none a cinema can mean before 1970.
	if y := sh.StartsAt.UTC().Year(); y < 1970 || y > 9998 {
		return Show{}, Errorf(EPROGRAMME, "%s: starts_at: want a year from 1970 to 9998, not %q", what, startsAt)
	}
	switch Sales(sales) {
	case "", SalesOpen:
		sh.Sales = SalesOpen
	case SalesClosed, SalesCancelled:
		sh.Sales = Sales(sales)
	default:
		return Show{}, Errorf(EPROGRAMME, "%s: sales: want open, closed or cancelled, not %q", what, sales)
	}
	if raw := orNull(obj["max_seats_per_guest"]); string(raw) != "null" {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
			return Show{}, Errorf(EPROGRAMME, "%s: max_seats_per_guest: want 0 (no cap) or a positive whole number, or null for the server's cap, not %s", what, raw)
		}
		sh.MaxSeatsPerGuest = &n
	}
	return sh, nil
}

// The document's shapes for writing: field order is the document's.
type (
	docProgramme struct {
		Halls []docHall `json:"halls"`
		Shows []docShow `json:"shows"`
	}
	docHall struct {
		ID     HallID `json:"id"`
		Name   string `json:"name"`
		Layout string `json:"layout"`
	}
	docShow struct {
		ID       ShowID `json:"id"`
		Title    string `json:"title"`
		Hall     HallID `json:"hall"`
		StartsAt string `json:"starts_at"`
		Sales    Sales  `json:"sales"`
		// Absent, not null, when the show takes the server's cap: what
		// ParseProgramme reads back as nil.
		MaxSeatsPerGuest *int `json:"max_seats_per_guest,omitempty"`
	}
)

// FormatProgramme writes p as a programme document that ParseProgramme reads
// back to the same programme: halls then shows, in p's order, indented,
// each hall's layout as its source text, each start in loc with its offset
// (in its own zone when loc is nil), sales always written.
func FormatProgramme(w io.Writer, p Programme, loc *time.Location) error {
	doc := docProgramme{Halls: []docHall{}, Shows: []docShow{}}
	for _, h := range p.Halls {
		doc.Halls = append(doc.Halls, docHall{ID: h.ID, Name: h.Name, Layout: h.Layout.Source})
	}
	for _, sh := range p.Shows {
		start := sh.StartsAt
		if loc != nil {
			start = start.In(loc)
		}
		doc.Shows = append(doc.Shows, docShow{
			ID: sh.ID, Title: sh.Title, Hall: sh.Hall.ID,
			// RFC3339Nano writes whole seconds as RFC 3339 does, and keeps
			// any fraction a document gave.
			StartsAt:         start.Format(time.RFC3339Nano),
			Sales:            sh.SalesState(),
			MaxSeatsPerGuest: sh.MaxSeatsPerGuest,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // titles are read by people: "Tom & Jerry", not "Tom \u0026 Jerry"
	return enc.Encode(doc)
}
