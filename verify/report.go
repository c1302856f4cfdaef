package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is the outcome of verifying one Dockerfile. Its JSON field names
// are stable.
type Report struct {
	// Path is the Dockerfile verified.
	Path string `json:"path"`
	// Skipped is "skipped: <reason>" when the rewrite left the file
	// unchanged; nothing else was done then.
	Skipped string `json:"skipped,omitempty"`
	// Engine is the Docker engine version.
	Engine string `json:"engine,omitempty"`
	// StandIn is true when a built image carries the dev.stagesplit.standin
	// label: it was built on local stand-ins for the registry's base images,
	// so sizes are not those of the real images.
	StandIn bool `json:"standin_bases"`
	// Images are the tags of the original and rewritten builds.
	Images Images `json:"images"`
	// Rewrite is the rewritten Dockerfile.
	Rewrite string `json:"rewrite,omitempty"`
	// Built reports whether each build succeeded.
	Built          Built         `json:"built"`
	Sizes          Sizes         `json:"sizes"`
	BuildSeconds   Seconds       `json:"build_seconds"`
	RebuildSeconds *Rebuild      `json:"rebuild_seconds"`
	Config         *ConfigReport `json:"config"`
	Smoke          Smoke         `json:"smoke"`
	Tools          *Tools        `json:"tools"`
	// Log is the build log file.
	Log string `json:"log,omitempty"`
	// Failures say why OK is false (a failed step, a difference).
	Failures []string `json:"failures,omitempty"`
	// Notes are things worth knowing that do not fail the check.
	Notes []string `json:"notes,omitempty"`
}

// Images are image references.
type Images struct {
	Before string `json:"before"`
	After  string `json:"after"`
}

// Built says which builds succeeded.
type Built struct {
	Before bool `json:"before"`
	After  bool `json:"after"`
}

// Sizes are image sizes in bytes as the engine reports them (uncompressed)
// and after/before.
type Sizes struct {
	Before int64   `json:"before"`
	After  int64   `json:"after"`
	Ratio  float64 `json:"ratio"`
}

// Seconds are wall-clock build times, with the engine's build cache as
// found: the rewrite is built right after the original, so its build stage
// usually reuses the original's layers.
type Seconds struct {
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// Rebuild are the wall-clock rebuild times after a source-only change of
// File, with a warm cache: the median of three rebuilds each.
type Rebuild struct {
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	// File is the context file changed (relative to the context).
	File string `json:"file"`
	// Change is what was appended to File: "comment" (a line comment
	// holding a timestamp, different for each build) or "newline" (for
	// files without a known comment syntax; a build cache from an earlier
	// run may then match the changed file).
	Change string `json:"change,omitempty"`
	// Error is set when the measure could not be taken.
	Error string `json:"error,omitempty"`
}

// Smoke is the smoke-test comparison.
type Smoke struct {
	// Args are appended to `docker run --rm --network none IMAGE`.
	Args []string `json:"args"`
	// Source is "option", "file" (the smoke file) or "" (not configured).
	Source string `json:"source,omitempty"`
	// Run says whether the smoke step ran at all.
	Run    bool      `json:"run"`
	Before *SmokeRun `json:"before"`
	After  *SmokeRun `json:"after"`
	Same   bool      `json:"same"`
	// ExpectedMatch compares each output to smoke.out, when present.
	ExpectedMatch *Expected `json:"expected_match"`
}

// SmokeRun is one image's smoke result.
type SmokeRun struct {
	Stdout string `json:"stdout"`
	// Stderr is kept for diagnosis; it is not compared.
	Stderr   string `json:"stderr,omitempty"`
	Exit     int    `json:"exit"`
	TimedOut bool   `json:"timed_out,omitempty"`
}

// Expected says whether each image printed the content of smoke.out.
type Expected struct {
	Before bool `json:"before"`
	After  bool `json:"after"`
}

// Tools are the build tools found on each image's PATH.
type Tools struct {
	Before []string `json:"before"`
	After  []string `json:"after"`
	// Found are the paths where they were found.
	Found struct {
		Before []ToolHit `json:"before"`
		After  []ToolHit `json:"after"`
	} `json:"found"`
}

// OK reports whether the rewrite is verified: it builds, the smoke output
// and exit code are the same (or no smoke is configured), the runtime
// configuration is the same, the image is not larger and no build tool is
// on the runtime PATH. A skipped file is not OK.
func (r *Report) OK() bool {
	if r == nil || r.Skipped != "" || len(r.Failures) > 0 {
		return false
	}
	if !r.Built.Before || !r.Built.After {
		return false
	}
	if r.Sizes.Before == 0 || r.Sizes.After > r.Sizes.Before {
		return false
	}
	if r.Config == nil || !r.Config.Equal {
		return false
	}
	if r.Smoke.Source != "" && (!r.Smoke.Run || !r.Smoke.Same) {
		return false
	}
	if r.Tools == nil || len(r.Tools.After) > 0 {
		return false
	}
	return true
}

// MarshalJSON adds the "ok" field.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "->" readable
	err := enc.Encode(struct {
		*plain
		OK bool `json:"ok"`
	}{(*plain)(r), r.OK()})
	return bytes.TrimRight(buf.Bytes(), "\n"), err
}

func (r *Report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// WriteTable writes the report for people.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(cols ...string) { fmt.Fprintln(tw, strings.Join(cols, "\t")) }
	verdict := "FAIL"
	if r.OK() {
		verdict = "OK"
	}
	if r.Skipped != "" {
		verdict = "SKIPPED"
	}
	fmt.Fprintf(w, "%s: %s\n", r.Path, verdict)
	if r.Skipped != "" {
		fmt.Fprintf(w, "  %s\n", r.Skipped)
		return
	}
	row("", "before", "after", "")
	row("  image", orDash(r.Images.Before), orDash(r.Images.After), "")
	row("  builds", yesNo(r.Built.Before), yesNo(r.Built.After), "")
	if r.Sizes.Before > 0 || r.Sizes.After > 0 {
		row("  size", humanBytes(r.Sizes.Before), humanBytes(r.Sizes.After), fmt.Sprintf("ratio %.3f", r.Sizes.Ratio))
	}
	row("  build", secs(r.BuildSeconds.Before), secs(r.BuildSeconds.After), "wall time, engine cache as found (the rewrite is built second and may reuse the original's layers)")
	if rb := r.RebuildSeconds; rb != nil {
		if rb.Error != "" {
			row("  rebuild", "-", "-", "not measured: "+rb.Error)
		} else {
			what := "median of 3, after a comment appended to " + rb.File
			if rb.Change == "newline" {
				what = "after a newline appended to " + rb.File + " (an earlier run's cache may match)"
			}
			row("  rebuild", secs(rb.Before), secs(rb.After), what)
		}
	}
	switch {
	case r.Smoke.Source == "":
		row("  smoke", "-", "-", "not run (no smoke args and no smoke file)")
	case !r.Smoke.Run:
		row("  smoke", "-", "-", "not run")
	default:
		same := "same output and exit code"
		if !r.Smoke.Same {
			same = "DIFFERENT"
		}
		row("  smoke exit", smokeExit(r.Smoke.Before), smokeExit(r.Smoke.After), same+": "+strings.Join(r.Smoke.Args, " "))
		if e := r.Smoke.ExpectedMatch; e != nil {
			row("  smoke.out", matchWord(e.Before), matchWord(e.After), "")
		}
	}
	if r.Config != nil {
		if r.Config.Equal {
			row("  config", "", "", "same")
		} else {
			row("  config", "", "", "DIFFERENT")
		}
	}
	if r.Tools != nil {
		row("  build tools", list(r.Tools.Before), list(r.Tools.After), "on PATH")
	}
	tw.Flush()
	if r.Config != nil {
		for _, d := range r.Config.Differences {
			fmt.Fprintf(w, "  config difference: %s\n", d)
		}
		for _, d := range r.Config.Equivalent {
			fmt.Fprintf(w, "  config equivalent: %s\n", d)
		}
		if len(r.Config.EnvFromBase) > 0 {
			fmt.Fprintf(w, "  env differences from base images (allowed): %s\n", strings.Join(r.Config.EnvFromBase, "; "))
		}
	}
	if r.Smoke.Run && !r.Smoke.Same && r.Smoke.Before != nil && r.Smoke.After != nil {
		fmt.Fprintf(w, "  smoke stdout before: %q\n  smoke stdout after:  %q\n", clip(r.Smoke.Before.Stdout), clip(r.Smoke.After.Stdout))
		if r.Smoke.After.Stderr != "" {
			fmt.Fprintf(w, "  smoke stderr after:  %q\n", clip(r.Smoke.After.Stderr))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  failure: %s\n", strings.ReplaceAll(f, "\n", "\n    "))
	}
	if r.Log != "" && !r.OK() {
		fmt.Fprintf(w, "  build log: %s\n", r.Log)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func secs(s float64) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", s)
}

func smokeExit(s *SmokeRun) string {
	switch {
	case s == nil:
		return "-"
	case s.TimedOut:
		return "timeout"
	}
	return fmt.Sprintf("exit %d", s.Exit)
}

func matchWord(b bool) string {
	if b {
		return "matches"
	}
	return "DIFFERS"
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// humanBytes formats n in decimal units, as docker does.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v, u := float64(n), "B"
	for _, next := range []string{"kB", "MB", "GB", "TB"} {
		v /= unit
		u = next
		if v < unit {
			break
		}
	}
	return fmt.Sprintf("%.1f%s", v, u)
}
