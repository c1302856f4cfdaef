package emit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/stagesplit/stagesplit/transform"
)

// InformationURI is the project page the reports link to.
const InformationURI = "https://github.com/stagesplit/stagesplit"

// passesURI documents every pass (README section "Passes").
const passesURI = InformationURI + "#passes"

// sarifSchemaURI is the OASIS SARIF 2.1.0 schema (errata 01), the one the
// tests validate against.
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// ParseRule is the rule id of files that could not be read or parsed; every
// other rule id is a pass name.
const ParseRule = "parse"

// fingerprintKey names the partial fingerprint. It is versioned: a change to
// what is hashed must change the key, so that code scanning does not match
// alerts across incompatible fingerprints.
const fingerprintKey = "stagesplit/v1"

// maxKeyDecisions bounds the decisions a SARIF message lists.
const maxKeyDecisions = 12

// SARIF returns a SARIF 2.1.0 log of results, in the subset GitHub code
// scanning accepts: one run, one rule per pass (plus "parse"), and
//
//   - for a rewritten file, one "split" result at the FROM line that names the
//     builder and runtime images and lists the key decisions, each linked to a
//     related location, with a fix whose replacements turn Before into
//     After byte for byte;
//   - for a skipped file, one note from the pass that skipped it;
//   - for a file that could not be parsed, one "parse" error.
//
// Unchanged files give no result. Paths become URIs relative to %SRCROOT%.
// Lines are counted by "\n" as BuildKit and git count them; columns are
// Unicode code points (run.columnKind). Results carry a partial fingerprint
// ("stagesplit/v1") hashed from the path, the rule and the message with
// line numbers taken out, so an alert keeps its identity when lines move.
// The output is indented and deterministic: results are sorted by path.
func SARIF(results []FileResult, toolVersion string) ([]byte, error) {
	rules, index := sarifRules()
	out := []sarifResult{}
	for _, r := range sortedResults(results) {
		var res *sarifResult
		switch r.Status {
		case "rewritten":
			res = sarifRewritten(r)
		case "skipped":
			res = sarifSkipped(r)
		case "error":
			res = sarifError(r)
		}
		if res == nil {
			continue
		}
		i, ok := index[res.RuleID]
		if !ok {
			return nil, fmt.Errorf("sarif: %s: no rule %q", r.Path, res.RuleID)
		}
		res.RuleIndex = i
		out = append(out, *res)
	}
	driver := sarifDriver{
		Name:           "stagesplit",
		InformationURI: InformationURI,
		Version:        toolVersion,
		Rules:          rules,
	}
	if semverRE.MatchString(toolVersion) {
		driver.SemanticVersion = strings.TrimPrefix(toolVersion, "v")
	}
	log := sarifLog{
		Schema:  sarifSchemaURI,
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:       sarifTool{Driver: driver},
			ColumnKind: "unicodeCodePoints",
			Results:    out,
		}},
	}
	return marshalIndent(log)
}

// semverRE is SemVer 2.0.0 with an optional leading "v" (Go's tags).
var semverRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
	`(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$`)

func sarifRules() ([]sarifRule, map[string]int) {
	var rules []sarifRule
	index := map[string]int{}
	add := func(id, summary, body string, level string) {
		index[id] = len(rules)
		full := summary
		if body != "" {
			full += " " + body
		}
		md := "**" + mdText(summary) + "**"
		if body != "" {
			md += "\n\n" + mdText(body)
		}
		md += "\n\n`stagesplit --list-passes` prints every pass; `stagesplit --explain` prints each decision with its line."
		rules = append(rules, sarifRule{
			ID:                   id,
			ShortDescription:     sarifText{Text: summary},
			FullDescription:      sarifText{Text: full},
			Help:                 sarifMultiformat{Text: full, Markdown: md},
			HelpURI:              passesURI,
			DefaultConfiguration: sarifConfig{Level: level},
			Properties:           &sarifRuleProps{Tags: []string{"dockerfile", "maintainability"}},
		})
	}
	for _, name := range transform.Names() {
		summary, body := splitDoc(transform.Lookup(name).Doc)
		add(name, summary, body, "note")
	}
	add(ParseRule, "Reports a Dockerfile that could not be read or parsed.",
		"BuildKit's parser rejected the file, it has no FROM, or it is not text; it is left unchanged and no pass runs on it.",
		"error")
	return rules, index
}

// splitDoc returns a pass doc's summary line and the rest unwrapped into one
// paragraph.
func splitDoc(doc string) (summary, body string) {
	summary, rest, _ := strings.Cut(doc, "\n")
	return strings.TrimSpace(summary), strings.Join(strings.Fields(rest), " ")
}

func sarifRewritten(r FileResult) *sarifResult {
	key := keyDecisions(r.Decisions, maxKeyDecisions)
	primary := primaryLine(r)

	// Related locations: one per other line a key decision rests on, in
	// line order, numbered from 1 (a message links them as "[line N](id)").
	lines := map[int][]string{}
	for _, d := range key.shown {
		if d.Line > 0 && d.Line != primary {
			lines[d.Line] = append(lines[d.Line], decisionText(d))
		}
		for _, l := range d.Related {
			if l > 0 && l != primary && l != d.Line {
				lines[l] = append(lines[l], "rests on this line: "+decisionText(d))
			}
		}
	}
	ids := map[int]int{}
	var related []sarifLocation
	for _, l := range sortedKeys(lines) {
		ids[l] = len(related) + 1
		related = append(related, sarifLocation{
			ID:               len(related) + 1,
			PhysicalLocation: physical(r.Path, &sarifRegion{StartLine: l}),
			Message:          &sarifText{Text: escapeSARIFText(strings.Join(lines[l], "; "))},
		})
	}

	var msg strings.Builder
	msg.WriteString(escapeSARIFText(splitSentence(r)))
	msg.WriteString(".")
	if len(key.shown) > 0 {
		msg.WriteString("\nKey decisions:")
		for _, d := range key.shown {
			msg.WriteString("\n- ")
			switch {
			case d.Line == 0:
			case d.Line == primary:
				fmt.Fprintf(&msg, "line %d: ", d.Line)
			default:
				fmt.Fprintf(&msg, "[line %d](%d): ", d.Line, ids[d.Line])
			}
			msg.WriteString(escapeSARIFText(decisionText(d)))
			for _, l := range d.Related {
				switch {
				case l <= 0 || l == d.Line:
				case l == primary:
					fmt.Fprintf(&msg, " (see line %d)", l)
				default:
					fmt.Fprintf(&msg, " (see [line %d](%d))", l, ids[l])
				}
			}
		}
		if key.more > 0 {
			fmt.Fprintf(&msg, "\n- and %d more (stagesplit --explain lists every decision)", key.more)
		}
	}
	// The estimate is left out of the fingerprint: a better estimate is
	// not a new alert.
	fp := fingerprint(r.Path, "split", msg.String())
	text := msg.String()
	if r.SavingMB > 0 {
		text += "\nEstimated saving: " + formatMB(r.SavingMB) + " of compressed image size (an estimate)."
	}

	res := &sarifResult{
		RuleID:              "split",
		Level:               "note",
		Message:             sarifText{Text: text},
		Locations:           []sarifLocation{{PhysicalLocation: physical(r.Path, &sarifRegion{StartLine: primary})}},
		RelatedLocations:    related,
		PartialFingerprints: map[string]string{fingerprintKey: fp},
		Properties:          map[string]any{},
	}
	if key.warnings > 0 {
		res.Level = "warning"
	}
	if r.Ecosystem != "" {
		res.Properties["ecosystem"] = r.Ecosystem
	}
	if r.SavingMB > 0 {
		res.Properties["estimatedSavingMB"] = r.SavingMB
	}
	if len(res.Properties) == 0 {
		res.Properties = nil
	}

	var reps []sarifReplacement
	x := newLineIndex(r.Before)
	for _, e := range fileEdits(r.Before, r.After) {
		rep := sarifReplacement{DeletedRegion: x.sarifRegion(e.start, e.end)}
		if len(e.text) > 0 {
			if utf8.Valid(e.text) {
				rep.InsertedContent = &sarifContent{Text: string(e.text)}
			} else {
				rep.InsertedContent = &sarifContent{Binary: base64.StdEncoding.EncodeToString(e.text)}
			}
		}
		reps = append(reps, rep)
	}
	if len(reps) > 0 {
		// Bottom-up: each region then means the same bytes whether a
		// consumer applies the replacements one after another or all
		// against the original file.
		slices.Reverse(reps)
		res.Fixes = []sarifFix{{
			Description: sarifText{Text: escapeSARIFText("Rewrite " + r.Path + " as a multi-stage build")},
			ArtifactChanges: []sarifArtifactChange{{
				ArtifactLocation: artifact(r.Path),
				Replacements:     reps,
			}},
		}}
	}
	return res
}

// splitSentence is the one-line summary of a rewrite.
func splitSentence(r FileResult) string {
	return "Can be split into " + splitImages(r)
}

// splitImages names the two stages' images: "a builder on X and a runtime
// on Y".
func splitImages(r FileResult) string {
	builder, runtime := r.BaseBefore, r.RuntimeBase
	if builder == "" {
		builder = "the original base image"
	}
	if runtime == "" {
		runtime = "a smaller image"
	}
	return "a builder on " + builder + " and a runtime on " + runtime
}

func sarifSkipped(r FileResult) *sarifResult {
	var skip *transform.Decision
	var warns []transform.Decision
	for i, d := range r.Decisions {
		switch d.Action {
		case transform.ActSkip:
			skip = &r.Decisions[i]
		case transform.ActWarn:
			warns = append(warns, d)
		}
	}
	if skip == nil && len(warns) == 0 {
		return nil
	}
	rule, line := "", 1
	reason := r.Reason
	if skip != nil {
		rule = skip.Pass
		if skip.Line > 0 {
			line = skip.Line
		}
		if reason == "" {
			reason = skip.Message
		}
	} else {
		rule = warns[0].Pass
		if warns[0].Line > 0 {
			line = warns[0].Line
		}
	}
	var msg strings.Builder
	msg.WriteString("Left as it is")
	if reason != "" {
		msg.WriteString(": ")
		msg.WriteString(escapeSARIFText(reason))
	}
	msg.WriteString(".")
	var related []sarifLocation
	ids := map[int]int{}
	for _, w := range warns {
		msg.WriteString("\n- ")
		if w.Line > 0 && w.Line != line {
			id, ok := ids[w.Line]
			if !ok {
				id = len(related) + 1
				ids[w.Line] = id
				related = append(related, sarifLocation{
					ID:               id,
					PhysicalLocation: physical(r.Path, &sarifRegion{StartLine: w.Line}),
					Message:          &sarifText{Text: escapeSARIFText(decisionText(w))},
				})
			} else {
				m := related[id-1].Message
				m.Text += "; " + escapeSARIFText(decisionText(w))
			}
			fmt.Fprintf(&msg, "[line %d](%d): ", w.Line, id)
		} else if w.Line > 0 {
			fmt.Fprintf(&msg, "line %d: ", w.Line)
		}
		msg.WriteString(escapeSARIFText(decisionText(w)))
	}
	return &sarifResult{
		RuleID:              rule,
		Level:               "note",
		Message:             sarifText{Text: msg.String()},
		Locations:           []sarifLocation{{PhysicalLocation: physical(r.Path, &sarifRegion{StartLine: line})}},
		RelatedLocations:    related,
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(r.Path, rule, msg.String())},
	}
}

func sarifError(r FileResult) *sarifResult {
	line := max(r.ErrorLine, 1)
	text := "Could not be parsed"
	if r.Error != "" {
		text += ": " + escapeSARIFText(r.Error)
	}
	return &sarifResult{
		RuleID:              ParseRule,
		Level:               "error",
		Message:             sarifText{Text: text},
		Locations:           []sarifLocation{{PhysicalLocation: physical(r.Path, &sarifRegion{StartLine: line})}},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(r.Path, ParseRule, text)},
	}
}

func physical(path string, region *sarifRegion) sarifPhysicalLocation {
	return sarifPhysicalLocation{ArtifactLocation: artifact(path), Region: region}
}

func artifact(path string) sarifArtifactLocation {
	return sarifArtifactLocation{URI: pathURI(path), URIBaseID: "%SRCROOT%"}
}

// pathURI percent-encodes a repository-relative path into a relative URI
// reference: everything but unreserved characters and "/" is escaped, so a
// space, "#", "?", "%" or a colon in the first segment cannot change its
// meaning.
func pathURI(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// escapeSARIFText escapes the characters that SARIF gives a meaning in plain
// text messages: square brackets (embedded links, §3.11.6) and the backslash
// that escapes them.
func escapeSARIFText(s string) string {
	if !strings.ContainsAny(s, `[]\`) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// lineRefRE matches line references in messages, including SARIF links to
// related locations.
var lineRefRE = regexp.MustCompile(`\[(lines?) \d+\]\(\d+\)|\b(lines?) \d+(?:\s*(?:-|–|to|and|,)\s*\d+)*`)

// normalizeMessage takes out what moves when lines are inserted above a
// finding: line numbers and related-location ids. Runs of white space
// become one space.
func normalizeMessage(msg string) string {
	msg = lineRefRE.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.HasPrefix(m, "[lines") || strings.HasPrefix(m, "lines") {
			return "lines #"
		}
		return "line #"
	})
	return strings.Join(strings.Fields(msg), " ")
}

// fingerprint identifies a finding across runs and line shifts.
func fingerprint(path, rule, msg string) string {
	h := sha256.New()
	for _, s := range []string{path, rule, normalizeMessage(msg)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func formatMB(mb float64) string {
	if mb >= 10 {
		return fmt.Sprintf("about %.0f MB", mb)
	}
	return fmt.Sprintf("about %.1f MB", mb)
}

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[int][]string) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// --- SARIF 2.1.0 object model (the subset written) ---

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	InformationURI  string      `json:"informationUri"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string           `json:"id"`
	ShortDescription     sarifText        `json:"shortDescription"`
	FullDescription      sarifText        `json:"fullDescription"`
	Help                 sarifMultiformat `json:"help"`
	HelpURI              string           `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig      `json:"defaultConfiguration"`
	Properties           *sarifRuleProps  `json:"properties,omitempty"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fixes               []sarifFix        `json:"fixes,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	// ID numbers related locations from 1; 0 (the primary location) is
	// left out.
	ID               int                   `json:"id,omitempty"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifText            `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifFix struct {
	Description     sarifText             `json:"description"`
	ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
}

type sarifArtifactChange struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Replacements     []sarifReplacement    `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifRegion   `json:"deletedRegion"`
	InsertedContent *sarifContent `json:"insertedContent,omitempty"`
}

type sarifContent struct {
	Text   string `json:"text,omitempty"`
	Binary string `json:"binary,omitempty"`
}

// --- shared by the SARIF, rdjson and GitHub reports ---

// sortedResults orders results by path, keeping the given order for equal
// paths, without touching the caller's slice.
func sortedResults(results []FileResult) []FileResult {
	out := slices.Clone(results)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// actionRank orders decisions by how much a reader needs them: what stopped
// the rewrite or needs checking by hand first, then what changed the file.
// Facts and self-check results rank last.
func actionRank(a transform.Action) int {
	switch a {
	case transform.ActSkip:
		return 0
	case transform.ActWarn:
		return 1
	case transform.ActSplit:
		return 2
	case transform.ActDrop:
		return 3
	case transform.ActAdd:
		return 4
	case transform.ActEdit:
		return 5
	case transform.ActFact:
		return 6
	default:
		return 7
	}
}

// isKey reports whether a decision changed the file or needs the reader.
func isKey(a transform.Action) bool { return actionRank(a) <= actionRank(transform.ActEdit) }

type keySet struct {
	shown    []transform.Decision // in line order, whole-file ones last
	more     int                  // key decisions left out
	warnings int                  // warn decisions among all key ones
}

// keyDecisions picks at most n key decisions, the highest-ranked first, and
// returns them in line order.
func keyDecisions(ds []transform.Decision, n int) keySet {
	var ks keySet
	var key []int // indexes into ds
	for i, d := range ds {
		if isKey(d.Action) {
			key = append(key, i)
			if d.Action == transform.ActWarn {
				ks.warnings++
			}
		}
	}
	sort.SliceStable(key, func(i, j int) bool { return actionRank(ds[key[i]].Action) < actionRank(ds[key[j]].Action) })
	if len(key) > n {
		ks.more = len(key) - n
		key = key[:n]
	}
	// By line, and on one line in the order the passes made them.
	sort.Slice(key, func(i, j int) bool {
		li, lj := lineKey(ds[key[i]].Line), lineKey(ds[key[j]].Line)
		if li != lj {
			return li < lj
		}
		return key[i] < key[j]
	})
	for _, i := range key {
		ks.shown = append(ks.shown, ds[i])
	}
	return ks
}

func lineKey(l int) int {
	if l <= 0 {
		return int(^uint(0) >> 1)
	}
	return l
}

// decisionText is a decision as one line: "pass: message", with warnings
// marked.
func decisionText(d transform.Decision) string {
	msg := oneLine(d.Message)
	if d.Action == transform.ActWarn {
		return d.Pass + ": check: " + msg
	}
	return d.Pass + ": " + msg
}

// oneLine folds line breaks so a message cannot break a line-based format.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

// primaryLine is where a rewritten file's result points: the FROM line (the
// split decision that made the builder stage), else the first key decision,
// else the first change; never 0.
func primaryLine(r FileResult) int {
	best := 0
	for _, d := range r.Decisions {
		if d.Action == transform.ActSplit && d.Line > 0 && (best == 0 || d.Line < best) {
			best = d.Line
		}
	}
	if best > 0 {
		return best
	}
	for _, d := range r.Decisions {
		if isKey(d.Action) && d.Line > 0 && (best == 0 || d.Line < best) {
			best = d.Line
		}
	}
	if best > 0 {
		return best
	}
	if es := fileEdits(r.Before, r.After); len(es) > 0 {
		return es[0].oldFirst
	}
	return 1
}

// textEdit replaces before[start:end] with text. oldFirst..oldLast are the
// 1-based lines of before the change covers (oldLast < oldFirst for an
// insertion before line oldFirst).
type textEdit struct {
	start, end        int
	text              []byte
	oldFirst, oldLast int
}

// fileEdits returns the changes turning before into after, in order and
// not overlapping, one per run of changed lines of the line diff Unified
// prints. Each keeps whole lines where it can, but is moved so that it
// ends inside the file rather than at the empty line after a final
// newline:
//   - a replacement whose old and new text end in the same line ending
//     leaves that ending out of both, so it covers exactly its lines;
//   - an insertion at the end of the file goes before the final line
//     ending, which then leads the inserted text;
//   - a deletion of the last lines takes the line ending before them
//     instead of their last one.
//
// Every form deletes and inserts exactly what the plain change would.
func fileEdits(before, after []byte) []textEdit {
	if bytes.Equal(before, after) {
		return nil
	}
	la, lb := splitLines(before), splitLines(after)
	offA, offB := lineOffsets(la), lineOffsets(lb)
	var out []textEdit
	for _, c := range diffLines(la, lb) {
		e := textEdit{
			start: offA[c.a0], end: offA[c.a1],
			text:     after[offB[c.b0]:offB[c.b1]:offB[c.b1]],
			oldFirst: c.a0 + 1, oldLast: c.a1,
		}
		if m := moveEdit(before, e); len(out) == 0 || m.start > out[len(out)-1].end {
			e = m
		}
		out = append(out, e)
	}
	return out
}

// moveEdit returns the form of e that ends inside the file (see
// fileEdits), or e. Moving left never crosses into the line before, but
// the caller keeps e when the moved form would touch the previous edit:
// two edits at one offset could be applied in either order.
func moveEdit(before []byte, e textEdit) textEdit {
	del := before[e.start:e.end]
	switch {
	case len(del) > 0 && len(e.text) > 0:
		if nl := lineEnding(del); nl != "" && lineEnding(e.text) == nl {
			e.end -= len(nl)
			e.text = e.text[:len(e.text)-len(nl)]
		}
	case len(del) == 0 && e.start == len(before) && e.start > 0:
		if nl := lineEnding(before); nl != "" && lineEnding(e.text) == nl {
			e.start -= len(nl)
			e.end = e.start
			e.text = append([]byte(nl), e.text[:len(e.text)-len(nl)]...)
		}
	case len(e.text) == 0 && e.end == len(before) && e.start > 0:
		if nl := lineEnding(del); nl != "" && lineEnding(before[:e.start]) == nl {
			e.start -= len(nl)
			e.end -= len(nl)
		}
	}
	return e
}

// lineEnding returns the "\r\n" or "\n" that b ends with, or "".
func lineEnding(b []byte) string {
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		return "\r\n"
	case bytes.HasSuffix(b, []byte("\n")):
		return "\n"
	}
	return ""
}

// lineOffsets returns the byte offset of each line and, last, the length.
func lineOffsets(lines [][]byte) []int {
	off := make([]int, len(lines)+1)
	for i, l := range lines {
		off[i+1] = off[i] + len(l)
	}
	return off
}

// lineIndex maps byte offsets of a file to lines and columns.
type lineIndex struct {
	src    []byte
	starts []int // offset of each line; a final "\n" starts an empty line
}

func newLineIndex(src []byte) lineIndex {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return lineIndex{src: src, starts: starts}
}

// lineOf returns the 1-based line holding off and the line's start offset.
func (x lineIndex) lineOf(off int) (line, start int) {
	i := sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > off }) - 1
	return i + 1, x.starts[i]
}

// sarifPos is off as a 1-based line and a column in Unicode code points
// (an invalid byte counts as one, as Go decodes it).
func (x lineIndex) sarifPos(off int) (line, col int) {
	line, start := x.lineOf(off)
	return line, utf8.RuneCount(x.src[start:off]) + 1
}

// bytePos is off as a 1-based line and a 1-based column in bytes.
func (x lineIndex) bytePos(off int) (line, col int) {
	line, start := x.lineOf(off)
	return line, off - start + 1
}

func (x lineIndex) sarifRegion(start, end int) sarifRegion {
	sl, sc := x.sarifPos(start)
	el, ec := x.sarifPos(end)
	return sarifRegion{StartLine: sl, StartColumn: sc, EndLine: el, EndColumn: ec}
}
