package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"boxoffice"
)

// handleGetProgramme answers the whole programme as a document, starts in
// the cinema's zone: what `boxoffice programme export` writes.
func (s *server) handleGetProgramme() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Store.Programme(r.Context())
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		var b bytes.Buffer
		if err := boxoffice.FormatProgramme(&b, p, s.Location); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		writeRawJSON(w, http.StatusOK, b.Bytes())
	})
}

// handlePutProgramme imports a programme document, all or nothing, or with
// ?dry_run=true says what it would do.
func (s *server) handlePutProgramme() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dry, err := queryBool(r, "dry_run")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		body, err := adminBody(w, r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p, err := boxoffice.ParseProgramme(bytes.NewReader(body))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		rep, err := s.Store.ApplyProgramme(r.Context(), p, dry)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if !dry {
			s.logAdminChange(r, "import programme", "programme",
				slog.Int("added", len(rep.Added)), slog.Int("changed", len(rep.Changed)), slog.Int("unchanged", len(rep.Unchanged)))
		}
		writeJSON(w, http.StatusOK, reportJSON(rep))
	})
}

// reportJSON is rep with empty lists as [] rather than null.
func reportJSON(rep boxoffice.ProgrammeReport) boxoffice.ProgrammeReport {
	for _, l := range []*[]string{&rep.Added, &rep.Changed, &rep.Unchanged} {
		if *l == nil {
			*l = []string{}
		}
	}
	return rep
}

// handlePutHall creates or replaces the path's hall: 201 when it is new,
// 200 otherwise, with the hall as the document writes it.
func (s *server) handlePutHall() http.Handler {
	return s.handlePutOne("hall")
}

// handlePutShow creates or replaces the path's show, the whole show as in
// the document: 201 when it is new, 200 otherwise.
func (s *server) handlePutShow() http.Handler {
	return s.handlePutOne("show")
}

// handlePutOne is a PUT of one hall or show (kind): the body is one item of
// the document, its id taken from the path, applied as a programme of that
// item alone, so that the document's parsing and the store's rules are the
// only ones.
func (s *server) handlePutOne(kind string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, kind)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		body, err := adminBody(w, r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		item, err := withPathID(kind, id, body)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		p, err := boxoffice.ParseProgramme(strings.NewReader(`{"` + kind + `s":[` + string(item) + `]}`))
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		rep, err := s.Store.ApplyProgramme(r.Context(), p, false)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		status, action := http.StatusOK, "replace "+kind
		if slices.Contains(rep.Added, kind+":"+id) {
			status, action = http.StatusCreated, "create "+kind
		}
		if !slices.Contains(rep.Unchanged, kind+":"+id) {
			s.logAdminChange(r, action, kind+":"+id)
		}
		var b bytes.Buffer
		if err := boxoffice.FormatProgramme(&b, p, s.Location); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		var doc map[string][]json.RawMessage
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil || len(doc[kind+"s"]) != 1 {
			s.writeProblem(w, r, fmt.Errorf("formatting the %s back: %v", kind, err))
			return
		}
		writeRawJSON(w, status, doc[kind+"s"][0])
	})
}

// withPathID returns the body, one JSON object, with its id the path's: a
// body without an id takes it from the path; one whose id differs is
// refused, since it is unclear which the operator meant.
func withPathID(kind, id string, body []byte) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, boxoffice.Errorf(boxoffice.EPROGRAMME, "%s %s: the body must be a JSON object", kind, id)
	}
	if raw, ok := obj["id"]; ok && string(raw) != "null" {
		var got string
		if err := json.Unmarshal(raw, &got); err != nil || got != id {
			return nil, boxoffice.Errorf(boxoffice.EPROGRAMME, "%s %s: id: the body's id %s differs from the path's", kind, id, raw)
		}
	}
	obj["id"], _ = json.Marshal(id)
	return json.Marshal(obj)
}

// handleDeleteHall deletes a hall no show plays in.
func (s *server) handleDeleteHall() http.Handler {
	type response struct {
		Deleted string `json:"deleted"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "hall")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if err := s.Store.DeleteHall(r.Context(), boxoffice.HallID(id)); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.logAdminChange(r, "delete hall", "hall:"+id)
		writeJSON(w, http.StatusOK, response{Deleted: "hall:" + id})
	})
}

// handleCancelShow cancels a show; with ?force=true one holding bookings
// too, releasing them first.
func (s *server) handleCancelShow() http.Handler {
	type response struct {
		Released int `json:"released"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "show")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		force, err := queryBool(r, "force")
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		released, err := s.Store.CancelShow(r.Context(), boxoffice.ShowID(id), force)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.logAdminChange(r, "cancel show", "show:"+id, slog.Bool("force", force), slog.Int("released", released))
		writeJSON(w, http.StatusOK, response{Released: released})
	})
}

// queryBool reads a true/false query parameter, false when absent.
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, boxoffice.Errorf(codeMalformed, "%s=%q: want true or false", name, v)
	}
	return b, nil
}

// writeRawJSON answers with a body that is JSON already.
func writeRawJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
