package emit

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stagesplit/stagesplit/transform"
)

// RDJSON returns reviewdog's Diagnostic Format as one DiagnosticResult
// (reviewdog -f=rdjson):
//
//   - for a rewritten file, one diagnostic per changed hunk (a run of changed
//     lines) carrying a suggestion that replaces the hunk's old text with
//     the new one; its message lists the decisions on or next to the
//     hunk's lines. A warning that is next to no hunk gets a diagnostic of
//     its own;
//   - for a skipped file, one diagnostic with the reason;
//   - for a file that could not be parsed, one ERROR diagnostic.
//
// Ranges follow reviewdog.proto: lines and columns start at 1, columns
// count UTF-8 bytes, the end is exclusive, and an insertion is an empty
// range (start == end). Applying every suggestion of a file to Before gives
// After byte for byte, line endings and a missing final newline included;
// a hunk whose new text is not valid UTF-8 (which JSON cannot carry) gets
// no suggestion. Suggestions are placed so that they end on a line of the
// file, as reviewdog's GitHub reporter needs to render them.
func RDJSON(results []FileResult) ([]byte, error) {
	out := rdResult{
		Source:      rdSource{Name: "stagesplit", URL: InformationURI},
		Severity:    "INFO",
		Diagnostics: []rdDiagnostic{},
	}
	for _, r := range sortedResults(results) {
		switch r.Status {
		case "rewritten":
			out.Diagnostics = append(out.Diagnostics, rdRewritten(r)...)
		case "skipped":
			if d, ok := rdSkipped(r); ok {
				out.Diagnostics = append(out.Diagnostics, d)
			}
		case "error":
			out.Diagnostics = append(out.Diagnostics, rdDiagnostic{
				Message:  "could not be parsed: " + oneLine(r.Error),
				Location: rdLocation{Path: r.Path, Range: lineRange(max(r.ErrorLine, 1))},
				Severity: "ERROR",
				Code:     &rdCode{Value: ParseRule, URL: passesURI},
			})
		}
	}
	return marshalIndent(out)
}

func rdRewritten(r FileResult) []rdDiagnostic {
	var out []rdDiagnostic
	x := newLineIndex(r.Before)
	used := map[int]bool{} // decisions (by index) shown next to a hunk
	for _, e := range fileEdits(r.Before, r.After) {
		var near []transform.Decision
		for i, d := range r.Decisions {
			if isKey(d.Action) && nearHunk(d, e) {
				near = append(near, d)
				used[i] = true
			}
		}
		ks := keyDecisions(near, maxKeyDecisions)
		var msg []string
		sev := "INFO"
		code := "split"
		if len(ks.shown) > 0 {
			best := ks.shown[0]
			for _, d := range ks.shown {
				msg = append(msg, decisionText(d))
				if actionRank(d.Action) < actionRank(best.Action) {
					best = d
				}
			}
			code = best.Pass
			if ks.more > 0 {
				msg = append(msg, "and more: stagesplit --explain lists every decision")
			}
		} else {
			msg = append(msg, "part of splitting this file into "+splitImages(r))
		}
		if ks.warnings > 0 {
			sev = "WARNING"
		}
		rng := x.rdRange(e.start, e.end)
		d := rdDiagnostic{
			Message:  strings.Join(msg, "\n"),
			Location: rdLocation{Path: r.Path, Range: &rng},
			Severity: sev,
			Code:     &rdCode{Value: code, URL: passesURI},
		}
		if utf8.Valid(e.text) {
			d.Suggestions = []rdSuggestion{{Range: rng, Text: string(e.text)}}
		}
		out = append(out, d)
	}
	for i, d := range r.Decisions {
		if d.Action == transform.ActWarn && !used[i] {
			out = append(out, rdDiagnostic{
				Message:  decisionText(d),
				Location: rdLocation{Path: r.Path, Range: lineRange(max(d.Line, 1))},
				Severity: "WARNING",
				Code:     &rdCode{Value: d.Pass, URL: passesURI},
			})
		}
	}
	// Hunks come in file order; a lone warning goes with its line.
	sortDiagnostics(out)
	return out
}

// nearHunk reports whether d's lines touch the hunk's old lines or the lines
// just before and after them.
func nearHunk(d transform.Decision, e textEdit) bool {
	if d.Line <= 0 {
		return false
	}
	end := max(d.EndLine, d.Line)
	return d.Line <= e.oldLast+1 && end >= e.oldFirst-1
}

func rdSkipped(r FileResult) (rdDiagnostic, bool) {
	var skip *transform.Decision
	var warns []string
	for i, d := range r.Decisions {
		switch d.Action {
		case transform.ActSkip:
			skip = &r.Decisions[i]
		case transform.ActWarn:
			warns = append(warns, decisionText(d))
		}
	}
	reason := r.Reason
	line, code := 1, ""
	if skip != nil {
		code = skip.Pass
		line = max(skip.Line, 1)
		if reason == "" {
			reason = skip.Message
		}
	}
	if reason == "" && len(warns) == 0 {
		return rdDiagnostic{}, false
	}
	msg := "left as it is"
	if reason != "" {
		msg += ": " + oneLine(reason)
	}
	d := rdDiagnostic{
		Message:  strings.Join(append([]string{msg}, warns...), "\n"),
		Location: rdLocation{Path: r.Path, Range: lineRange(line)},
		Severity: "INFO",
	}
	if code != "" {
		d.Code = &rdCode{Value: code, URL: passesURI}
	}
	return d, true
}

// lineRange is a whole line, as reviewdog reads a start without a column.
func lineRange(line int) *rdRange {
	return &rdRange{Start: rdPosition{Line: line}}
}

func (x lineIndex) rdRange(start, end int) rdRange {
	sl, sc := x.bytePos(start)
	el, ec := x.bytePos(end)
	return rdRange{Start: rdPosition{Line: sl, Column: sc}, End: &rdPosition{Line: el, Column: ec}}
}

// sortDiagnostics orders one file's diagnostics by their start.
func sortDiagnostics(ds []rdDiagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Location.Range.Start, ds[j].Location.Range.Start
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// --- reviewdog Diagnostic Format (rdf), as JSON ---

type rdResult struct {
	Source      rdSource       `json:"source"`
	Severity    string         `json:"severity"`
	Diagnostics []rdDiagnostic `json:"diagnostics"`
}

type rdSource struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type rdDiagnostic struct {
	Message     string         `json:"message"`
	Location    rdLocation     `json:"location"`
	Severity    string         `json:"severity"`
	Code        *rdCode        `json:"code,omitempty"`
	Suggestions []rdSuggestion `json:"suggestions,omitempty"`
}

type rdLocation struct {
	Path  string   `json:"path"`
	Range *rdRange `json:"range,omitempty"`
}

type rdRange struct {
	Start rdPosition  `json:"start"`
	End   *rdPosition `json:"end,omitempty"`
}

type rdPosition struct {
	Line   int `json:"line"`
	Column int `json:"column,omitempty"`
}

type rdCode struct {
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type rdSuggestion struct {
	Range rdRange `json:"range"`
	// Text is always written, "" for a deletion.
	Text string `json:"text"`
}
