package emit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stagesplit/stagesplit/transform"
)

func TestWorkflowCommandEscaping(t *testing.T) {
	for _, c := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"%0A", "%250A", "%250A"},
		{"a\nb", "a%0Ab", "a%0Ab"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"k:v,w", "k:v,w", "k%3Av%2Cw"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
		{"ünï", "ünï", "ünï"},
	} {
		if got := escapeData(c.in); got != c.data {
			t.Errorf("escapeData(%q) = %q, want %q", c.in, got, c.data)
		}
		if got := escapeProperty(c.in); got != c.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", c.in, got, c.prop)
		}
	}
}

func annotations(results []FileResult) string {
	var b bytes.Buffer
	GitHubAnnotations(&b, results)
	return b.String()
}

func TestGitHubAnnotationsEscaping(t *testing.T) {
	got := annotations([]FileResult{
		{Path: "odd,dir:1/100%\nDockerfile", Status: "skipped", Reason: "r",
			Decisions: []transform.Decision{{Pass: "shape", Action: transform.ActSkip, Line: 3, EndLine: 5,
				Message: "50% done\r\n::error file=x::injected, really"}}},
		{Path: "e/Dockerfile", Status: "error", ErrorLine: 4, Error: "bad\ninput: %"},
	})
	want := "::error file=e/Dockerfile,line=4,endLine=4,title=stagesplit/parse::could not be parsed: bad%0Ainput: %25\n" +
		"::notice file=odd%2Cdir%3A1/100%25%0ADockerfile,line=3,endLine=5,title=stagesplit/shape::50%25 done%0D%0A::error file=x::injected, really\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Whatever the input, one command per line.
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !strings.HasPrefix(l, "::notice file=") && !strings.HasPrefix(l, "::error file=") {
			t.Errorf("line %q is not a command", l)
		}
	}
}

func TestGitHubAnnotationsSelection(t *testing.T) {
	ds := []transform.Decision{
		{Pass: "base", Action: transform.ActFact, Line: 1, Message: "fact 1"},
		{Pass: "split", Action: transform.ActAdd, Line: 9, Message: "add 9"},
		{Pass: "split", Action: transform.ActEdit, Line: 2, Message: "edit 2"},
		{Pass: "split", Action: transform.ActSplit, Line: 1, Message: "split 1"},
		{Pass: "split", Action: transform.ActDrop, Line: 4, Message: "drop 4"},
		{Pass: "golang", Action: transform.ActWarn, Line: 12, Message: "warn 12"},
		{Pass: "split", Action: transform.ActAdd, Line: 3, Message: "add 3"},
		{Pass: "packages", Action: transform.ActWarn, Message: "warn whole file"},
		{Pass: "split", Action: transform.ActSplit, Line: 10, Message: "split 10"},
		{Pass: "selfcheck", Action: transform.ActVerify, Message: "verified"},
	}
	got := annotations([]FileResult{{Path: "Dockerfile", Status: "rewritten", Decisions: ds}})
	// Warnings and splits first, then the drop; adds, the edit and facts
	// are left out; shown in line order, the whole-file one last.
	want := "::notice file=Dockerfile,line=1,endLine=1,title=stagesplit/split::split 1\n" +
		"::notice file=Dockerfile,line=4,endLine=4,title=stagesplit/split::drop 4\n" +
		"::notice file=Dockerfile,line=10,endLine=10,title=stagesplit/split::split 10\n" +
		"::warning file=Dockerfile,line=12,endLine=12,title=stagesplit/golang::warn 12\n" +
		"::warning file=Dockerfile,title=stagesplit/packages::warn whole file\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// Without key decisions: a summary for a rewrite, the reason for a skip,
	// nothing for an unchanged file.
	got = annotations([]FileResult{
		{Path: "a/Dockerfile", Status: "rewritten", BaseBefore: "golang:1.22", RuntimeBase: "debian:bookworm-slim",
			Before: []byte("FROM golang:1.22\nRUN x\n"), After: []byte("FROM golang:1.22 AS build\nRUN x\n")},
		{Path: "b/Dockerfile", Status: "skipped", Reason: "not a Dockerfile"},
		{Path: "c/Dockerfile", Status: "unchanged", Decisions: ds[:1]},
	})
	want = "::notice file=a/Dockerfile,line=1,endLine=1,title=stagesplit/split::Can be split into a builder on golang:1.22 and a runtime on debian:bookworm-slim\n" +
		"::notice file=b/Dockerfile,title=stagesplit::left as it is: not a Dockerfile\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestGitHubSummary(t *testing.T) {
	got := GitHubSummary([]FileResult{
		{Path: "z/Dockerfile", Status: "skipped", Reason: "already multi-stage"},
		{Path: "a|b/`x`/Dockerfile", Status: "rewritten", BaseBefore: "node:20", RuntimeBase: "node:20-slim"},
		{Path: "y/Dockerfile", Status: "skipped", Reason: "*not* a <b>Go</b> or Node image"},
		{Path: "x/Dockerfile", Status: "skipped", Reason: "already multi-stage"},
		{Path: "w/Dockerfile", Status: "skipped"},
		{Path: "v/Dockerfile", Status: "unchanged"},
		{Path: "u/Dockerfile", Status: "rewritten", BaseBefore: "golang:1.22", RuntimeBase: "gcr.io/distroless/static-debian12", SavingMB: 7.25},
		{Path: "t/Dockerfile", Status: "error", Error: "no FROM instruction", ErrorLine: 1},
	})
	for _, want := range []string{
		"8 Dockerfiles seen: 2 rewritten, 4 skipped, 1 unchanged, 1 error.\n",
		"| ``a\\|b/`x`/Dockerfile`` | `node:20` → `node:20-slim` | not estimated |\n",
		"| `u/Dockerfile` | `golang:1.22` → `gcr.io/distroless/static-debian12` | about 7.2 MB (estimate) |\n",
		"Estimated saving in all: about 7.2 MB",
		// The most common reason first, files in path order.
		"### Skipped\n\nalready multi-stage (2 files):\n\n- `x/Dockerfile`\n- `z/Dockerfile`\n\n",
		"\\*not\\* a \\<b\\>Go\\</b\\> or Node image (1 file):\n\n- `y/Dockerfile`\n",
		"no reason given (1 file):\n\n- `w/Dockerfile`\n",
		"### Errors\n\n- `t/Dockerfile` line 1: no FROM instruction\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "`a\\|b") > strings.Index(got, "`u/Dockerfile`") {
		t.Error("rewritten files are not in path order")
	}

	if got := GitHubSummary(nil); got != "## stagesplit\n\nNo Dockerfile was found.\n" {
		t.Errorf("empty summary %q", got)
	}
	if got := GitHubSummary([]FileResult{{Path: "a", Status: "unchanged"}}); strings.Contains(got, "###") || !strings.Contains(got, "1 Dockerfile seen: 0 rewritten, 0 skipped, 1 unchanged, 0 errors.") {
		t.Errorf("summary of one unchanged file:\n%s", got)
	}
}

func TestMarkdownCode(t *testing.T) {
	for _, c := range []struct {
		in      string
		inTable bool
		want    string
	}{
		{"a/Dockerfile", false, "`a/Dockerfile`"},
		{"a`b", false, "``a`b``"},
		{"`a``", false, "``` `a`` ```"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"a\nb", false, "`a b`"},
	} {
		if got := mdCode(c.in, c.inTable); got != c.want {
			t.Errorf("mdCode(%q, %v) = %q, want %q", c.in, c.inTable, got, c.want)
		}
	}
}
