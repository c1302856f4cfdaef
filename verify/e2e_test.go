package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// repoRoot walks up from the working directory to go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// requireEngine skips the test when no engine answers, unless
// STAGESPLIT_E2E=1 asks for the end-to-end tests to be mandatory.
func requireEngine(t *testing.T) {
	t.Helper()
	bin, err := resolveDocker("")
	if err == nil {
		d := &docker{bin: bin}
		_, err = d.check(context.Background())
	}
	if err != nil {
		if os.Getenv("STAGESPLIT_E2E") == "1" {
			t.Fatalf("STAGESPLIT_E2E=1 but no usable Docker engine: %v", err)
		}
		t.Skipf("no Docker engine: %v (set STAGESPLIT_E2E=1 to make this a failure)", err)
	}
}

// logWriter sends progress lines to t.Log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestExamples builds every example under examples/ before and after the
// rewrite and requires the rewrite to be verified. An example without
// rewrite.golden (its ecosystem's rewrite is not written yet) is skipped. Sizes are measured on
// whatever base images the engine has (on machines without a registry: the
// local stand-ins built by standins/build.sh).
func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end builds skipped in -short mode")
	}
	requireEngine(t)
	root := repoRoot(t)
	entries, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	var examples []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(root, "examples", e.Name(), "Dockerfile")); err == nil {
				examples = append(examples, e.Name())
			}
		}
	}
	if len(examples) == 0 {
		t.Fatal("no examples found")
	}

	// Leave time for the cleanup (image removal) and the summary before
	// the test binary's deadline.
	ctx := context.Background()
	deadline, hasDeadline := t.Deadline()
	if hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancel()
	}

	var reports []*Report
	var names []string
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, "examples", name, "rewrite.golden")); errors.Is(err, fs.ErrNotExist) {
				t.Skip("no rewrite.golden yet")
			}
			if hasDeadline && time.Until(deadline) < 3*time.Minute {
				t.Fatalf("only %s left before the test deadline: run with a larger -timeout (e.g. -timeout 30m)", time.Until(deadline).Round(time.Second))
			}
			r, err := Run(ctx, filepath.Join(root, "examples", name), Options{Stdout: logWriter{t}, Stderr: logWriter{t}})
			if r != nil {
				var b strings.Builder
				r.WriteTable(&b)
				t.Log("\n" + b.String())
				reports = append(reports, r)
				names = append(names, name)
			}
			if err != nil {
				if ctx.Err() != nil {
					t.Fatalf("%v: ran out of time; run with a larger -timeout (e.g. -timeout 30m)", err)
				}
				t.Fatal(err)
			}
			if !r.OK() {
				t.Errorf("%s: not verified: %s", name, strings.Join(append([]string{r.Skipped}, r.Failures...), "; "))
			}
			if e := r.Smoke.ExpectedMatch; e != nil && (!e.Before || !e.After) {
				t.Errorf("%s: smoke output does not match smoke.out (before: %v, after: %v)", name, e.Before, e.After)
			}
			if r.Smoke.Source == "" {
				t.Errorf("%s: no smoke file", name)
			}
		})
	}

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "example\tbases\tsize before\tsize after\tratio\tbuild s before/after\trebuild s before/after\tsmoke\tconfig\ttools after\tok")
	for i, r := range reports {
		rebuild := "-"
		if rb := r.RebuildSeconds; rb != nil && rb.Error == "" {
			rebuild = fmt.Sprintf("%.1f / %.1f", rb.Before, rb.After)
		}
		smoke := "not run"
		if r.Smoke.Run {
			smoke = "differs"
			if r.Smoke.Same {
				smoke = "same"
			}
		}
		config := "-"
		if r.Config != nil {
			config = "differs"
			if r.Config.Equal {
				config = "same"
			}
		}
		tools := "-"
		if r.Tools != nil {
			tools = list(r.Tools.After)
		}
		bases := "registry"
		if r.StandIn {
			bases = "stand-in"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\t%.1f / %.1f\t%s\t%s\t%s\t%s\t%v\n", names[i], bases,
			humanBytes(r.Sizes.Before), humanBytes(r.Sizes.After), r.Sizes.Ratio,
			r.BuildSeconds.Before, r.BuildSeconds.After, rebuild, smoke, config, tools, r.OK())
	}
	tw.Flush()
	summary := "stagesplit verify: examples (sizes are the engine's uncompressed image sizes, measured on the engine's local base images; rows marked stand-in were built on local stand-ins, not the registry's images)\n" + b.String()
	t.Log("\n" + summary)
	fmt.Print("\n" + summary)
}
