package emit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/stagesplit/stagesplit/parser"
	"github.com/stagesplit/stagesplit/transform"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden reports in testdata/report")

// pipeline runs the real parser and passes over src, as the CLI does, and
// returns what the reports get.
func pipeline(t testing.TB, path, src string, ctx fstest.MapFS) FileResult {
	t.Helper()
	r := FileResult{Path: path, Before: []byte(src), After: []byte(src)}
	f, err := parser.Parse(path, []byte(src))
	if err != nil {
		var pe *parser.Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: %v", path, err)
		}
		r.Status, r.Error, r.ErrorLine = "error", pe.Msg, pe.Line
		return r
	}
	opts := transform.Options{}
	if ctx != nil {
		opts.Context = ctx
	}
	res, err := transform.Rewrite(f, opts)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r.Decisions, r.Ecosystem = res.Decisions, res.Ecosystem
	r.BaseBefore, r.RuntimeBase = res.BaseBefore, res.RuntimeBase
	switch {
	case res.Changed:
		r.Status, r.After = "rewritten", res.Output
	case res.SkippedReason != "":
		r.Status, r.Reason = "skipped", res.SkippedReason
	default:
		r.Status = "unchanged"
	}
	return r
}

const goServer = `FROM golang:1.22-bookworm

WORKDIR /app
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -o /app/server ./cmd/server

ENV PORT=8080
EXPOSE 8080
CMD ["/app/server"]
`

var goServerContext = fstest.MapFS{
	"go.mod":                {Data: []byte("module example.com/svc\n\ngo 1.22\n")},
	"cmd/server/main.go":    {Data: []byte("package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n")},
	"cmd/server/handler.go": {Data: []byte("package main\n")},
}

// goNoContext is rewritten with a warning: without the build context the
// program may read files that are not copied.
const goNoContext = "FROM golang:1.22-alpine\r\nWORKDIR /app\r\nCOPY . .\r\nRUN go build \\\r\n    -o /out/app .\r\nCMD [\"/out/app\"]\r\n"

const goRun = `FROM golang:1.22
WORKDIR /app
COPY . .
RUN go mod download
CMD ["go", "run", "."]
`

const broken = "FROM golang:1.22\nFOO bar\n"

// goldenResults is one rewritten Go file, one skipped and one that does not
// parse, deliberately out of path order.
func goldenResults(t testing.TB) []FileResult {
	rewritten := pipeline(t, "services/api/Dockerfile", goServer, goServerContext)
	rewritten.SavingMB = 812.4
	skipped := pipeline(t, "tools/dev/Dockerfile", goRun, nil)
	failed := pipeline(t, "broken/Dockerfile", broken, nil)
	for _, c := range []struct {
		r    FileResult
		want string
	}{{rewritten, "rewritten"}, {skipped, "skipped"}, {failed, "error"}} {
		if c.r.Status != c.want {
			t.Fatalf("%s: status %q, want %q (decisions %v)", c.r.Path, c.r.Status, c.want, c.r.Decisions)
		}
	}
	return []FileResult{skipped, rewritten, failed}
}

func TestGoldenReports(t *testing.T) {
	results := goldenResults(t)
	sarif, err := SARIF(results, "v0.4.0")
	if err != nil {
		t.Fatal(err)
	}
	rd, err := RDJSON(results)
	if err != nil {
		t.Fatal(err)
	}
	var ann bytes.Buffer
	GitHubAnnotations(&ann, results)
	got := map[string][]byte{
		"golden.sarif":       sarif,
		"golden.rdjson":      rd,
		"golden-annotations": ann.Bytes(),
		"golden-summary.md":  []byte(GitHubSummary(results)),
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		file := filepath.Join("testdata", "report", name)
		if *updateGolden {
			if err := os.WriteFile(file, got[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test ./emit -run TestGoldenReports -update)", err)
		}
		if !bytes.Equal(got[name], want) {
			t.Errorf("%s differs from the golden file (go test ./emit -run TestGoldenReports -update rewrites it):\n%s",
				name, Unified(file, file, want, got[name]))
		}
	}
}

// TestReportsDeterministic checks that the order of the input does not
// matter and that the caller's slice is left alone.
func TestReportsDeterministic(t *testing.T) {
	results := goldenResults(t)
	reversed := []FileResult{results[2], results[1], results[0]}
	before := reversed[0].Path
	for name, f := range map[string]func([]FileResult) []byte{
		"sarif": func(rs []FileResult) []byte {
			b, err := SARIF(rs, "dev")
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"rdjson": func(rs []FileResult) []byte {
			b, err := RDJSON(rs)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"annotations": func(rs []FileResult) []byte {
			var b bytes.Buffer
			GitHubAnnotations(&b, rs)
			return b.Bytes()
		},
		"summary": func(rs []FileResult) []byte { return []byte(GitHubSummary(rs)) },
	} {
		a, b := f(results), f(reversed)
		if !bytes.Equal(a, b) {
			t.Errorf("%s depends on the order of the results", name)
		}
		if !bytes.Equal(a, f(results)) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	if reversed[0].Path != before {
		t.Error("the caller's slice was reordered")
	}
}

// --- appliers: what a consumer of the fixes and suggestions does ---

// textPos turns a 1-based line and column into a byte offset of src. Lines
// end at "\n" (a final "\n" starts an empty last line). Columns count
// Unicode code points (an invalid byte is one) or bytes. A position past the
// line's "\n", or inside a code point, is an error.
func textPos(src []byte, line, col int, codePoints bool) (int, error) {
	if line < 1 || col < 1 {
		return 0, fmt.Errorf("line %d column %d: lines and columns start at 1", line, col)
	}
	start := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d: the file has %d lines", line, l)
		}
		start += i + 1
	}
	end := len(src)
	if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
		end = start + i
	}
	off := start
	for c := 1; c < col; c++ {
		if off >= end {
			return 0, fmt.Errorf("line %d has no column %d", line, col)
		}
		size := 1
		if codePoints {
			_, size = utf8.DecodeRune(src[off:end])
		}
		off += size
	}
	return off, nil
}

type span struct {
	start, end int
	text       []byte
}

// applyAll applies spans that all refer to the original src; they must not
// overlap.
func applyAll(src []byte, spans []span) ([]byte, error) {
	spans = append([]span(nil), spans...)
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out []byte
	pos := 0
	for i, s := range spans {
		// Spans that touch are ambiguous when one is an insertion: they
		// must be apart.
		if s.start < pos || i > 0 && s.start == pos || s.end < s.start || s.end > len(src) {
			return nil, fmt.Errorf("span [%d,%d) overlaps or is out of range", s.start, s.end)
		}
		out = append(out, src[pos:s.start]...)
		out = append(out, s.text...)
		pos = s.end
	}
	return append(out, src[pos:]...), nil
}

// SARIF, read independently of the writer's types.

type tRegion struct {
	StartLine, StartColumn, EndLine, EndColumn int
	CharOffset, CharLength                     *int
}

type tArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type tLocation struct {
	ID               *int `json:"id"`
	PhysicalLocation struct {
		ArtifactLocation tArtifactLocation `json:"artifactLocation"`
		Region           *tRegion          `json:"region"`
	} `json:"physicalLocation"`
	Message *struct{ Text string } `json:"message"`
}

type tReplacement struct {
	DeletedRegion   tRegion `json:"deletedRegion"`
	InsertedContent *struct {
		Text   *string `json:"text"`
		Binary *string `json:"binary"`
	} `json:"insertedContent"`
}

type tResult struct {
	RuleID              string `json:"ruleId"`
	RuleIndex           *int   `json:"ruleIndex"`
	Level               string `json:"level"`
	Message             struct{ Text string }
	Locations           []tLocation       `json:"locations"`
	RelatedLocations    []tLocation       `json:"relatedLocations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fixes               []struct {
		ArtifactChanges []struct {
			ArtifactLocation tArtifactLocation `json:"artifactLocation"`
			Replacements     []tReplacement    `json:"replacements"`
		} `json:"artifactChanges"`
	} `json:"fixes"`
}

type tSARIF struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		ColumnKind string `json:"columnKind"`
		Tool       struct {
			Driver struct {
				Name            string `json:"name"`
				Version         string `json:"version"`
				SemanticVersion string `json:"semanticVersion"`
				Rules           []struct {
					ID                   string `json:"id"`
					DefaultConfiguration struct{ Level string }
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []tResult `json:"results"`
	} `json:"runs"`
}

func readSARIF(t *testing.T, data []byte) tSARIF {
	t.Helper()
	var doc tSARIF
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	return doc
}

// sarifSpan resolves a deleted region per SARIF §3.30 for a code-point
// column kind: startColumn defaults to 1, endLine to startLine, endColumn
// to the end of the line without its line ending.
func sarifSpan(src []byte, r tRegion) (int, int, error) {
	if r.CharOffset != nil || r.CharLength != nil {
		return 0, 0, errors.New("charOffset regions are not written")
	}
	sc, el, ec := r.StartColumn, r.EndLine, r.EndColumn
	if sc == 0 {
		sc = 1
	}
	if el == 0 {
		el = r.StartLine
	}
	start, err := textPos(src, r.StartLine, sc, true)
	if err != nil {
		return 0, 0, err
	}
	var end int
	if ec == 0 {
		lineStart, err := textPos(src, el, 1, true)
		if err != nil {
			return 0, 0, err
		}
		end = len(src)
		if i := bytes.IndexByte(src[lineStart:], '\n'); i >= 0 {
			end = lineStart + i
			if end > lineStart && src[end-1] == '\r' {
				end--
			}
		}
	} else if end, err = textPos(src, el, ec, true); err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("region %+v ends before it starts", r)
	}
	return start, end, nil
}

func insertedBytes(t *testing.T, rep tReplacement) []byte {
	t.Helper()
	c := rep.InsertedContent
	switch {
	case c == nil:
		return nil
	case c.Text != nil && c.Binary == nil:
		return []byte(*c.Text)
	case c.Binary != nil && c.Text == nil:
		b, err := base64.StdEncoding.DecodeString(*c.Binary)
		if err != nil {
			t.Fatalf("insertedContent.binary: %v", err)
		}
		return b
	}
	t.Fatalf("insertedContent must hold text or binary: %+v", c)
	return nil
}

// applySARIFFixes applies every fix of the results for uri to src, both
// ways a consumer may read a list of replacements: one after another, each
// against the file as the previous ones left it, and all against the
// original. Both must give the same bytes.
func applySARIFFixes(t *testing.T, doc tSARIF, uri string, src []byte) []byte {
	t.Helper()
	seq := src
	var spans []span
	n := 0
	for _, res := range doc.Runs[0].Results {
		for _, fix := range res.Fixes {
			for _, ch := range fix.ArtifactChanges {
				if ch.ArtifactLocation.URI != uri {
					continue
				}
				if ch.ArtifactLocation.URIBaseID != "%SRCROOT%" {
					t.Errorf("artifactChange uriBaseId %q", ch.ArtifactLocation.URIBaseID)
				}
				if len(ch.Replacements) == 0 {
					t.Error("an artifactChange without replacements")
				}
				for _, rep := range ch.Replacements {
					ins := insertedBytes(t, rep)
					s, e, err := sarifSpan(seq, rep.DeletedRegion)
					if err != nil {
						t.Fatalf("sequential: %v", err)
					}
					seq = append(append(append([]byte(nil), seq[:s]...), ins...), seq[e:]...)
					s, e, err = sarifSpan(src, rep.DeletedRegion)
					if err != nil {
						t.Fatalf("against the original: %v", err)
					}
					spans = append(spans, span{s, e, ins})
					n++
				}
			}
		}
	}
	all, err := applyAll(src, spans)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seq, all) {
		t.Fatalf("replacements give %q applied in order but %q against the original", seq, all)
	}
	return all
}

// rdjson, read independently too.

type tPos struct{ Line, Column int }

type tRange struct {
	Start tPos  `json:"start"`
	End   *tPos `json:"end"`
}

type tDiagnostic struct {
	Message  string `json:"message"`
	Location struct {
		Path  string  `json:"path"`
		Range *tRange `json:"range"`
	} `json:"location"`
	Severity string `json:"severity"`
	Code     *struct {
		Value string `json:"value"`
		URL   string `json:"url"`
	} `json:"code"`
	Suggestions []struct {
		Range tRange  `json:"range"`
		Text  *string `json:"text"`
	} `json:"suggestions"`
}

type tRDJSON struct {
	Source struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"source"`
	Severity    string        `json:"severity"`
	Diagnostics []tDiagnostic `json:"diagnostics"`
}

func readRDJSON(t *testing.T, data []byte) tRDJSON {
	t.Helper()
	var doc tRDJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("rdjson: %v", err)
	}
	return doc
}

// rdSpan resolves a suggestion range per reviewdog.proto: columns are UTF-8
// bytes, the end is exclusive, and an omitted end is the start.
func rdSpan(src []byte, r tRange) (int, int, error) {
	if r.Start.Column == 0 || r.End != nil && r.End.Column == 0 {
		return 0, 0, errors.New("a suggestion range without columns is line-wise; none is written")
	}
	start, err := textPos(src, r.Start.Line, r.Start.Column, false)
	if err != nil {
		return 0, 0, err
	}
	end := start
	if r.End != nil {
		if end, err = textPos(src, r.End.Line, r.End.Column, false); err != nil {
			return 0, 0, err
		}
	}
	if end < start {
		return 0, 0, fmt.Errorf("range %+v ends before it starts", r)
	}
	return start, end, nil
}

// applySuggestions applies every suggestion for path to src; all ranges
// refer to the original file.
func applySuggestions(t *testing.T, doc tRDJSON, path string, src []byte) []byte {
	t.Helper()
	var spans []span
	for _, d := range doc.Diagnostics {
		if d.Location.Path != path {
			continue
		}
		for _, s := range d.Suggestions {
			if s.Text == nil {
				t.Fatal("a suggestion without text")
			}
			start, end, err := rdSpan(src, s.Range)
			if err != nil {
				t.Fatal(err)
			}
			spans = append(spans, span{start, end, []byte(*s.Text)})
		}
	}
	out, err := applyAll(src, spans)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// realLines is the number of lines an editor or reviewdog shows for src:
// a final line ending does not start another line.
func realLines(src []byte) int {
	n := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return max(n, 1)
}

// rewriteCases are the before/after pairs the appliers are checked on: the
// diff tests' cases, including CRLF, missing final newlines and invalid
// UTF-8, and real rewrites.
func rewriteCases(t *testing.T) []diffCase {
	cases := append([]diffCase(nil), diffCases...)
	for _, c := range []struct {
		name, src string
		ctx       fstest.MapFS
	}{
		{"pipeline go server", goServer, goServerContext},
		{"pipeline go server no context", goServer, nil},
		{"pipeline crlf", goNoContext, nil},
		{"pipeline no final newline", strings.TrimSuffix(goServer, "\n"), goServerContext},
		{"pipeline crlf with context", strings.ReplaceAll(goServer, "\n", "\r\n"), goServerContext},
		{"pipeline ends with RUN", "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\n", nil},
		{"pipeline ends with RUN no newline", "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .", nil},
		{"pipeline crlf ends with RUN", "FROM golang:1.22\r\nCOPY . .\r\nRUN go build -o /bin/app .\r\n", nil},
	} {
		r := pipeline(t, "Dockerfile", c.src, c.ctx)
		if r.Status != "rewritten" {
			t.Fatalf("%s: %s %s", c.name, r.Status, r.Reason)
		}
		cases = append(cases, diffCase{name: c.name, a: c.src, b: string(r.After)})
	}
	return cases
}

func rewrittenResult(path string, a, b []byte) FileResult {
	return FileResult{
		Path: path, Status: "rewritten", Before: a, After: b,
		BaseBefore: "golang:1.22", RuntimeBase: "gcr.io/distroless/static-debian12",
	}
}

func TestRewriteCasesCoverEdges(t *testing.T) {
	var crlf, noFinal, insertAtEnd bool
	for _, c := range rewriteCases(t) {
		crlf = crlf || strings.Contains(c.a, "\r\n") && c.a != c.b
		noFinal = noFinal || c.a != "" && !strings.HasSuffix(c.a, "\n") || c.b != "" && !strings.HasSuffix(c.b, "\n")
		insertAtEnd = insertAtEnd || len(c.b) > len(c.a) && c.a != "" && strings.HasPrefix(c.b, c.a)
	}
	if !crlf || !noFinal || !insertAtEnd {
		t.Fatalf("cases miss CRLF (%v), no final newline (%v) or insertion at the end (%v)", crlf, noFinal, insertAtEnd)
	}
}
