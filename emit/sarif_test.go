package emit

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stagesplit/stagesplit/transform"
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// sarifSchema compiles the vendored OASIS schema (see testdata/report/README)
// without touching the network, with format assertions on, so "uri",
// "uri-reference" and the like are checked too.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		f, err := os.Open(filepath.Join("testdata", "report", "sarif-schema-2.1.0.json"))
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = err
			return
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if schemaErr = c.AddResource(id, doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile(id)
	})
	if schemaErr != nil {
		t.Fatalf("SARIF schema: %v", schemaErr)
	}
	return schema
}

func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := sarifSchema(t).Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate against the OASIS 2.1.0 schema:\n%v", err)
	}
	checkCodeScanning(t, data)
}

// checkCodeScanning checks what GitHub code scanning needs beyond the
// schema: a driver name and rules, a known rule and a message on every
// result, one location with a repository-relative URI and a start line of
// at least 1, and partial fingerprints.
func checkCodeScanning(t *testing.T, data []byte) {
	t.Helper()
	doc := readSARIF(t, data)
	if doc.Version != "2.1.0" || doc.Schema == "" {
		t.Errorf("version %q, $schema %q", doc.Version, doc.Schema)
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "stagesplit" {
		t.Errorf("driver name %q", d.Name)
	}
	rules := map[string]int{}
	for i, r := range d.Rules {
		if _, dup := rules[r.ID]; dup {
			t.Errorf("rule %q twice", r.ID)
		}
		rules[r.ID] = i
	}
	for _, name := range append(transform.Names(), ParseRule) {
		if _, ok := rules[name]; !ok {
			t.Errorf("no rule %q", name)
		}
	}
	fps := map[string]bool{}
	for _, res := range run.Results {
		i, ok := rules[res.RuleID]
		if !ok || res.RuleIndex == nil || *res.RuleIndex != i {
			t.Errorf("result rule %q index %v: not the rule's", res.RuleID, res.RuleIndex)
		}
		if strings.TrimSpace(res.Message.Text) == "" {
			t.Error("result without a message")
		}
		if len(res.Locations) != 1 {
			t.Fatalf("%d locations, want 1", len(res.Locations))
		}
		for _, loc := range append(slices.Clone(res.Locations), res.RelatedLocations...) {
			al := loc.PhysicalLocation.ArtifactLocation
			if al.URIBaseID != "%SRCROOT%" || al.URI == "" || strings.HasPrefix(al.URI, "/") || strings.Contains(al.URI, "://") {
				t.Errorf("location %+v is not repository-relative", al)
			}
			if loc.PhysicalLocation.Region == nil || loc.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("location %+v: no start line of at least 1", loc)
			}
		}
		// Every related location is linked from the message.
		for _, rel := range res.RelatedLocations {
			if rel.ID == nil || !strings.Contains(res.Message.Text, "]("+strconv.Itoa(*rel.ID)+")") {
				t.Errorf("related location %v is not linked from %q", rel.ID, res.Message.Text)
			}
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(fp) {
			t.Errorf("fingerprint %q", fp)
		}
		if fps[fp] {
			t.Errorf("two results share fingerprint %s", fp)
		}
		fps[fp] = true
	}
}

func TestSARIFSchemaGolden(t *testing.T) {
	data, err := SARIF(goldenResults(t), "v0.4.0")
	if err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, data)
	doc := readSARIF(t, data)
	if d := doc.Runs[0].Tool.Driver; d.Version != "v0.4.0" || d.SemanticVersion != "0.4.0" {
		t.Errorf("version %q, semanticVersion %q", d.Version, d.SemanticVersion)
	}
	levels := map[string]string{}
	for _, r := range doc.Runs[0].Results {
		levels[r.RuleID] = r.Level
	}
	want := map[string]string{"split": "note", "golang": "note", "parse": "error"}
	if !equalMaps(levels, want) {
		t.Errorf("rules and levels %v, want %v", levels, want)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSARIFSchemaOddInputs validates the output for inputs that stress the
// encoding: odd paths, a development version, warnings, invalid UTF-8, an
// error without a line, and no results at all.
func TestSARIFSchemaOddInputs(t *testing.T) {
	warned := pipeline(t, "odd dir/#1/Dockerfile", goNoContext, nil)
	if warned.Status != "rewritten" {
		t.Fatalf("status %q", warned.Status)
	}
	related := pipeline(t, "related/Dockerfile", goServer, goServerContext)
	related.Decisions = append(slices.Clone(related.Decisions),
		transform.Decision{Pass: "split", Action: transform.ActEdit, Line: 9, Message: "an edit that rests on two lines", Related: []int{1, 3, 9, 0}})
	results := []FileResult{
		warned,
		related,
		rewrittenResult("ünï/cödé:x/Docker file", []byte("FROM a\n\xff\xfe\nRUN x\n"), []byte("FROM a AS build\n\xff\xfd\nRUN x\n\nFROM b\n")),
		{Path: "x/[brackets]/Dockerfile", Status: "skipped", Reason: "has [brackets] and a \\ backslash",
			Decisions: []transform.Decision{
				{Pass: "shape", Action: transform.ActSkip, Line: 0, Message: "has [brackets] and a \\ backslash"},
				{Pass: "shape", Action: transform.ActWarn, Line: 3, Message: "check [this](1)"},
				{Pass: "shape", Action: transform.ActWarn, Line: 3, Message: "and this"},
			}},
		{Path: "100%/Dockerfile", Status: "error", Error: "cannot read: permission denied"},
		{Path: "same/Dockerfile", Status: "unchanged"},
	}
	for _, version := range []string{"dev", "", "(devel)", "v1.2.3-rc.1+build.5", "1.0"} {
		data, err := SARIF(results, version)
		if err != nil {
			t.Fatal(err)
		}
		validateSARIF(t, data)
		doc := readSARIF(t, data)
		d := doc.Runs[0].Tool.Driver
		wantSemver := map[string]string{"v1.2.3-rc.1+build.5": "1.2.3-rc.1+build.5"}[version]
		if d.SemanticVersion != wantSemver {
			t.Errorf("version %q: semanticVersion %q, want %q", version, d.SemanticVersion, wantSemver)
		}
		if len(doc.Runs[0].Results) != 5 {
			t.Errorf("%d results, want 5 (none for the unchanged file)", len(doc.Runs[0].Results))
		}
	}
	data, err := SARIF(nil, "dev")
	if err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, data)
	if !bytes.Contains(data, []byte(`"results": []`)) {
		t.Errorf("no results should be an empty list:\n%s", data)
	}

	doc := readSARIF(t, mustSARIF(t, results))
	for _, r := range doc.Runs[0].Results {
		switch r.RuleID {
		case "split":
			if strings.Contains(r.Message.Text, "rests on two lines") && !strings.Contains(r.Message.Text, "rests on two lines (see line 1) (see [line 3](1))") {
				t.Errorf("related lines not linked: %q", r.Message.Text)
			}
			if strings.Contains(r.Message.Text, "check") && r.Level != "warning" {
				t.Errorf("a rewrite with a warning has level %q", r.Level)
			}
		case "shape":
			if !strings.Contains(r.Message.Text, `has \[brackets\] and a \\ backslash`) ||
				!strings.Contains(r.Message.Text, `[line 3](1): shape: check: check \[this\](1)`) {
				t.Errorf("brackets not escaped: %q", r.Message.Text)
			}
			if len(r.RelatedLocations) != 1 || !strings.Contains(r.RelatedLocations[0].Message.Text, "and this") {
				t.Errorf("two warnings on one line should share one related location: %+v", r.RelatedLocations)
			}
			if r.Locations[0].PhysicalLocation.Region.StartLine != 1 {
				t.Errorf("a skip about the whole file should point at line 1")
			}
		case "parse":
			if r.Locations[0].PhysicalLocation.Region.StartLine != 1 {
				t.Errorf("an error without a line should point at line 1")
			}
		}
		if got := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; !regexp.MustCompile(`^[A-Za-z0-9._~/%-]+$`).MatchString(got) {
			t.Errorf("uri %q is not percent-encoded", got)
		}
	}
}

func mustSARIF(t *testing.T, results []FileResult) []byte {
	t.Helper()
	data, err := SARIF(results, "dev")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestPathURI(t *testing.T) {
	for in, want := range map[string]string{
		"Dockerfile":              "Dockerfile",
		"svc/api/Dockerfile.prod": "svc/api/Dockerfile.prod",
		"a b/Dockerfile":          "a%20b/Dockerfile",
		"c:/x":                    "c%3A/x",
		"100%/#x?y":               "100%25/%23x%3Fy",
		"ünï":                     "%C3%BCn%C3%AF",
		"~user/a_b-c.d":           "~user/a_b-c.d",
		"x\ny":                    "x%0Ay",
	} {
		if got := pathURI(in); got != want {
			t.Errorf("pathURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSARIFFixesApply applies the fixes of every rewrite case and checks
// that they give After exactly, read both ways SARIF consumers read a list
// of replacements.
func TestSARIFFixesApply(t *testing.T) {
	for _, c := range rewriteCases(t) {
		t.Run(c.name, func(t *testing.T) {
			checkSARIFFix(t, []byte(c.a), []byte(c.b))
		})
	}
}

func TestSARIFFixesApplyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 300 {
		a := randomFile(rng)
		b := randomEdit(rng, a)
		if !t.Run("", func(t *testing.T) { checkSARIFFix(t, a, b) }) {
			t.Fatalf("case %d: a=%q b=%q", i, a, b)
		}
	}
}

func checkSARIFFix(t *testing.T, a, b []byte) {
	t.Helper()
	data := mustSARIF(t, []FileResult{rewrittenResult("dir/Dockerfile", a, b)})
	doc := readSARIF(t, data)
	got := applySARIFFixes(t, doc, "dir/Dockerfile", a)
	if !bytes.Equal(got, b) {
		t.Fatalf("fixes give\n%q\nwant\n%q\nSARIF:\n%s", got, b, data)
	}
	if bytes.Equal(a, b) != (len(doc.Runs[0].Results[0].Fixes) == 0) {
		t.Errorf("a fix must be there exactly when the file changes")
	}
}

// TestSARIFFixesReadable checks the shape of the replacements of a real
// rewrite: whole lines, regions inside the file, new text with its own
// line endings, bottom-up order.
func TestSARIFFixesReadable(t *testing.T) {
	r := pipeline(t, "Dockerfile", "FROM golang:1.22\r\nCOPY . .\r\nRUN go build -o /bin/app .\r\n", nil)
	doc := readSARIF(t, mustSARIF(t, []FileResult{r}))
	reps := doc.Runs[0].Results[0].Fixes[0].ArtifactChanges[0].Replacements
	if len(reps) != 2 {
		t.Fatalf("%d replacements, want 2: %+v", len(reps), reps)
	}
	// The runtime stage is appended after the last line: an insertion
	// before the final line ending, so it stays on a line of the file.
	end := reps[0]
	if end.DeletedRegion != (tRegion{StartLine: 3, StartColumn: 27, EndLine: 3, EndColumn: 27}) {
		t.Errorf("insertion at the end: region %+v", end.DeletedRegion)
	}
	if txt := *end.InsertedContent.Text; !strings.HasPrefix(txt, "\r\n\r\nFROM ") || strings.HasSuffix(txt, "\r\n") || strings.Contains(strings.ReplaceAll(txt, "\r\n", ""), "\n") {
		t.Errorf("inserted text %q", txt)
	}
	// FROM gains AS build: line 1, without its line ending.
	from := reps[1]
	if from.DeletedRegion != (tRegion{StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 17}) || *from.InsertedContent.Text != "FROM golang:1.22 AS build" {
		t.Errorf("FROM replacement: %+v %q", from.DeletedRegion, *from.InsertedContent.Text)
	}
	lines := realLines(r.Before)
	for _, rep := range reps {
		if rep.DeletedRegion.EndLine > lines {
			t.Errorf("region %+v ends past the last line %d", rep.DeletedRegion, lines)
		}
	}
}

func fingerprints(t *testing.T, results []FileResult) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range readSARIF(t, mustSARIF(t, results)).Runs[0].Results {
		out[r.RuleID] = r.PartialFingerprints[fingerprintKey]
	}
	return out
}

func startLines(t *testing.T, results []FileResult) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range readSARIF(t, mustSARIF(t, results)).Runs[0].Results {
		out[r.RuleID] = r.Locations[0].PhysicalLocation.Region.StartLine
	}
	return out
}

// TestFingerprintsStable: the same findings give the same fingerprints in
// two runs and after lines are inserted above them, while the primary
// locations move with the lines.
func TestFingerprintsStable(t *testing.T) {
	const shift = "# syntax is not a directive here\n\n# maintained by the platform team\n"
	// A multi-stage file: the shape pass skips it, at the second FROM.
	const multi = "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM alpine:3.20\nCOPY --from=build /app /app\n"
	mk := func(prefix string) []FileResult {
		return []FileResult{
			pipeline(t, "svc/Dockerfile", prefix+goServer, goServerContext),
			pipeline(t, "multi/Dockerfile", prefix+multi, nil),
			pipeline(t, "broken/Dockerfile", prefix+broken, nil),
		}
	}
	first, second, shifted := fingerprints(t, mk("")), fingerprints(t, mk("")), fingerprints(t, mk(shift))
	if len(first) != 3 {
		t.Fatalf("want a split, a skip and a parse result, got %v", first)
	}
	if !equalMaps(first, second) {
		t.Errorf("two runs differ:\n%v\n%v", first, second)
	}
	if !equalMaps(first, shifted) {
		t.Errorf("inserting lines above changed fingerprints:\n%v\n%v", first, shifted)
	}
	lines, moved := startLines(t, mk("")), startLines(t, mk(shift))
	for rule, l := range lines {
		if moved[rule] != l+3 {
			t.Errorf("%s: start line %d after the shift, want %d", rule, moved[rule], l+3)
		}
	}
	// A skipped file whose message names a line ("line N ...") keeps its
	// fingerprint too.
	msg := func(line int) []FileResult {
		return []FileResult{{Path: "p/Dockerfile", Status: "skipped", Reason: "r",
			Decisions: []transform.Decision{
				{Pass: "golang", Action: transform.ActSkip, Line: line, Message: "line " + strconv.Itoa(line) + " runs go run"},
				{Pass: "golang", Action: transform.ActWarn, Line: line + 2, Message: "see lines " + strconv.Itoa(line) + "-" + strconv.Itoa(line+2)},
			}}}
	}
	if a, b := fingerprints(t, msg(4)), fingerprints(t, msg(40)); !equalMaps(a, b) {
		t.Errorf("line numbers in messages change fingerprints: %v %v", a, b)
	}

	// Different findings differ.
	other := mk("")
	other[0].Path = "other/Dockerfile"
	if fingerprints(t, other)["split"] == first["split"] {
		t.Error("another path gave the same fingerprint")
	}
	changed := []FileResult{pipeline(t, "svc/Dockerfile", strings.Replace(goServer, "golang:1.22-bookworm", "golang:1.23-bookworm", 1), goServerContext)}
	if fingerprints(t, changed)["split"] == first["split"] {
		t.Error("another base image gave the same fingerprint")
	}
	// The saving estimate is not part of the identity.
	est := mk("")
	est[0].SavingMB = 123
	if fingerprints(t, est)["split"] != first["split"] {
		t.Error("the saving estimate changed the fingerprint")
	}
}

func TestNormalizeMessage(t *testing.T) {
	for in, want := range map[string]string{
		"[line 12](3): x":              "line #: x",
		"line 4 installs gcc":          "line # installs gcc",
		"lines 3-7 and 9":              "lines #",
		"repeats line 5 in the stage":  "repeats line # in the stage",
		"golang:1.22  keeps\n  spaces": "golang:1.22 keeps spaces",
		"pipeline 12":                  "pipeline 12",
	} {
		if got := normalizeMessage(in); got != want {
			t.Errorf("normalizeMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSARIFSchemaRejects makes sure the schema really checks: documents
// with a line 0, an unknown level, a missing message or an unknown property
// must fail.
func TestSARIFSchemaRejects(t *testing.T) {
	good := string(mustSARIF(t, goldenResults(t)))
	for name, bad := range map[string]string{
		"line 0":           strings.Replace(good, `"startLine": 2`, `"startLine": 0`, 1),
		"level":            strings.Replace(good, `"level": "error"`, `"level": "fatal"`, 1),
		"version":          strings.Replace(good, `"version": "2.1.0"`, `"version": "2.0.0"`, 1),
		"unknown property": strings.Replace(good, `"ruleId": "parse"`, `"ruleId": "parse", "severity": "high"`, 1),
		"no message text":  strings.Replace(good, `"text": "Could not be parsed`, `"txt": "Could not be parsed`, 1),
	} {
		if bad == good {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sarifSchema(t).Validate(inst) == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}
