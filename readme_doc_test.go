package boxoffice_test

import (
	"os"
	"strings"
	"testing"

	"boxoffice"
)

// The README's example programme is one an operator can import as it is.
func TestReadmeProgrammeParses(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "### The programme document")
	if !ok {
		t.Fatal("README has no programme document section")
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	doc, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("no JSON example in the programme document section")
	}
	p, err := boxoffice.ParseProgramme(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	if len(p.Halls) != 1 || len(p.Shows) != 2 || len(p.Halls[0].Layout.Seats) != 29 {
		t.Errorf("the README's example reads as %d halls, %d shows", len(p.Halls), len(p.Shows))
	}
}
