package web

import (
	"encoding/json"
	"slices"
	"testing"
)

// The document's problem types are exactly those of problem.go's table, so
// a problem type added there without the document (or dropped from it)
// fails here. The handler tests then check which operation answers which.
func TestOpenAPIProblemTypes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				ProblemSlug struct{ Enum []string }
				Problem     struct {
					Properties struct{ Type struct{ Enum []string } }
				}
			}
		}
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	want := []string{internalProblem.slug}
	for _, pt := range problems {
		want = append(want, pt.slug)
	}
	slices.Sort(want)
	slugs := slices.Sorted(slices.Values(doc.Components.Schemas.ProblemSlug.Enum))
	if !slices.Equal(slugs, want) {
		t.Errorf("ProblemSlug's enum is %q, want problem.go's %q", slugs, want)
	}
	var types []string
	for _, s := range want {
		types = append(types, "/problems/"+s)
	}
	got := slices.Sorted(slices.Values(doc.Components.Schemas.Problem.Properties.Type.Enum))
	if !slices.Equal(got, types) {
		t.Errorf("Problem's type enum is %q, want %q", got, types)
	}
}
