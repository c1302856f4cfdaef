package emit

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stagesplit/stagesplit/transform"
)

func mustRDJSON(t *testing.T, results []FileResult) tRDJSON {
	t.Helper()
	data, err := RDJSON(results)
	if err != nil {
		t.Fatal(err)
	}
	doc := readRDJSON(t, data)
	if doc.Source.Name != "stagesplit" || doc.Source.URL == "" || doc.Severity != "INFO" {
		t.Errorf("source %+v, severity %q", doc.Source, doc.Severity)
	}
	for _, d := range doc.Diagnostics {
		switch d.Severity {
		case "ERROR", "WARNING", "INFO":
		default:
			t.Errorf("severity %q", d.Severity)
		}
		if d.Message == "" || d.Location.Path == "" || d.Location.Range == nil || d.Location.Range.Start.Line < 1 {
			t.Errorf("diagnostic %+v lacks a message, path or line", d)
		}
		for _, s := range d.Suggestions {
			// reviewdog's GitHub reporter needs the comment and the
			// suggestion on the same lines.
			if d.Location.Range.Start != s.Range.Start || d.Location.Range.End == nil || s.Range.End == nil || *d.Location.Range.End != *s.Range.End {
				t.Errorf("suggestion range %+v differs from the location %+v", s.Range, *d.Location.Range)
			}
		}
	}
	return doc
}

// checkSuggestions applies the suggestions of one rewrite and compares with
// b. A hunk whose new text is not valid UTF-8 has no suggestion, and then
// only the count is checked.
func checkSuggestions(t *testing.T, a, b []byte) {
	t.Helper()
	doc := mustRDJSON(t, []FileResult{rewrittenResult("x/Dockerfile", a, b)})
	edits := fileEdits(a, b)
	invalid, suggestions := 0, 0
	for _, e := range edits {
		if !utf8.Valid(e.text) {
			invalid++
		}
	}
	for _, d := range doc.Diagnostics {
		suggestions += len(d.Suggestions)
	}
	if len(doc.Diagnostics) != len(edits) || suggestions != len(edits)-invalid {
		t.Fatalf("%d diagnostics with %d suggestions for %d hunks (%d not UTF-8)", len(doc.Diagnostics), suggestions, len(edits), invalid)
	}
	if invalid > 0 {
		return
	}
	if got := applySuggestions(t, doc, "x/Dockerfile", a); !bytes.Equal(got, b) {
		data, _ := RDJSON([]FileResult{rewrittenResult("x/Dockerfile", a, b)})
		t.Fatalf("suggestions give\n%q\nwant\n%q\nrdjson:\n%s", got, b, data)
	}
}

func TestRDJSONSuggestionsApply(t *testing.T) {
	for _, c := range rewriteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			checkSuggestions(t, []byte(c.a), []byte(c.b))
		})
	}
}

func TestRDJSONSuggestionsApplyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 300 {
		a := randomFile(rng)
		b := randomEdit(rng, a)
		if !t.Run("", func(t *testing.T) { checkSuggestions(t, a, b) }) {
			t.Fatalf("case %d: a=%q b=%q", i, a, b)
		}
	}
}

// TestRDJSONRangesOnFileLines: every range of a real rewrite ends on a line
// the file shows, so reviewdog can place the comment and render the
// suggestion, and whole-line edits start at column 1.
func TestRDJSONRangesOnFileLines(t *testing.T) {
	for _, c := range rewriteCases(t) {
		if !strings.HasPrefix(c.name, "pipeline") {
			continue
		}
		doc := mustRDJSON(t, []FileResult{rewrittenResult("Dockerfile", []byte(c.a), []byte(c.b))})
		lines := realLines([]byte(c.a))
		for _, d := range doc.Diagnostics {
			for _, s := range d.Suggestions {
				if s.Range.End.Line > lines {
					t.Errorf("%s: range %+v ends past line %d", c.name, s.Range, lines)
				}
				if s.Range.Start.Column != 1 && !strings.HasPrefix(*s.Text, "\n") && !strings.HasPrefix(*s.Text, "\r\n") {
					t.Errorf("%s: range %+v does not start a line", c.name, s.Range)
				}
			}
		}
	}
}

func TestRDJSONMessages(t *testing.T) {
	// A rewrite with a warning next to a hunk: the hunk is a WARNING and
	// names the decision.
	warned := pipeline(t, "w/Dockerfile", goNoContext, nil)
	doc := mustRDJSON(t, []FileResult{warned})
	found := false
	for _, d := range doc.Diagnostics {
		if d.Severity == "WARNING" {
			found = true
			if !strings.Contains(d.Message, "golang: check: no build context") || len(d.Suggestions) != 1 {
				t.Errorf("warning diagnostic %+v", d)
			}
		}
	}
	if !found {
		t.Errorf("no WARNING diagnostic for %v", warned.Decisions)
	}

	// A warning far from every hunk gets a diagnostic of its own; a hunk
	// near no decision gets the general message.
	a := []byte(numbered("l", 20))
	b := []byte(edit(numbered("l", 20), 2))
	r := rewrittenResult("far/Dockerfile", a, b)
	r.Decisions = []transform.Decision{
		{Pass: "golang", Action: transform.ActFact, Line: 2, Message: "a fact is not a reason"},
		{Pass: "packages", Action: transform.ActWarn, Line: 15, Message: "far away"},
		{Pass: "selfcheck", Action: transform.ActVerify, Message: "fine"},
	}
	doc = mustRDJSON(t, []FileResult{r})
	if len(doc.Diagnostics) != 2 {
		t.Fatalf("%d diagnostics, want a hunk and a warning: %+v", len(doc.Diagnostics), doc.Diagnostics)
	}
	hunk, warn := doc.Diagnostics[0], doc.Diagnostics[1]
	if hunk.Message != "part of splitting this file into a builder on golang:1.22 and a runtime on gcr.io/distroless/static-debian12" || hunk.Severity != "INFO" || hunk.Code.Value != "split" {
		t.Errorf("hunk %+v", hunk)
	}
	if warn.Message != "packages: check: far away" || warn.Severity != "WARNING" || warn.Location.Range.Start.Line != 15 || warn.Code.Value != "packages" || len(warn.Suggestions) != 0 {
		t.Errorf("warning %+v", warn)
	}

	// Skipped, unchanged and failed files.
	doc = mustRDJSON(t, []FileResult{
		{Path: "s/Dockerfile", Status: "skipped", Reason: "made elsewhere"},
		{Path: "u/Dockerfile", Status: "unchanged"},
		{Path: "e/Dockerfile", Status: "error", Error: "line one\nline two", ErrorLine: 0},
	})
	if len(doc.Diagnostics) != 2 {
		t.Fatalf("%+v", doc.Diagnostics)
	}
	e, s := doc.Diagnostics[0], doc.Diagnostics[1]
	if e.Severity != "ERROR" || e.Location.Range.Start.Line != 1 || e.Message != "could not be parsed: line one line two" || e.Code.Value != "parse" {
		t.Errorf("error diagnostic %+v", e)
	}
	if s.Severity != "INFO" || s.Message != "left as it is: made elsewhere" || s.Code != nil {
		t.Errorf("skip diagnostic %+v", s)
	}

	data, err := RDJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"diagnostics": []`)) {
		t.Errorf("no results should give an empty list:\n%s", data)
	}
}
