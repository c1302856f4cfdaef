package verify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stagesplit/stagesplit/parser"
)

// fakeDocker writes a shell script standing for the docker client.
func fakeDocker(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "docker")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func exampleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM golang:1.26\nCOPY . .\nRUN go build -o /app .\nCMD [\"/app\"]\n"), 0o644)
	return dir
}

func TestRunNoEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	bin := fakeDocker(t, `echo "Cannot connect to the Docker daemon at $DOCKER_HOST. Is the docker daemon running?" >&2; exit 1`)
	_, err := Run(context.Background(), exampleDir(t), Options{Docker: bin})
	if err == nil || !strings.HasPrefix(err.Error(), "no Docker engine answers at unix:///nonexistent/docker.sock: start dockerd or set DOCKER_HOST") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunBuildxMissing(t *testing.T) {
	bin := fakeDocker(t, `case "$1" in
version) echo 20.10.24 ;;
build)
	if [ "$DOCKER_BUILDKIT" = 1 ]; then
		echo "ERROR: BuildKit is enabled but the buildx component is missing or broken." >&2
		echo "       Install the buildx component to build images with BuildKit:" >&2
		exit 1
	fi ;;
esac`)
	_, err := Run(context.Background(), exampleDir(t), Options{Docker: bin})
	if err == nil || !strings.Contains(err.Error(), "install the buildx plugin") || !strings.Contains(err.Error(), "STAGESPLIT_DOCKER=/usr/bin/docker") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveDocker(t *testing.T) {
	bin := fakeDocker(t, "exit 0")
	t.Setenv("STAGESPLIT_DOCKER", bin)
	if got, err := resolveDocker(""); err != nil || got != bin {
		t.Errorf("resolveDocker = %q, %v; want %q", got, err, bin)
	}
	if _, err := resolveDocker("/nonexistent/docker"); err == nil {
		t.Error("want an error for a missing client")
	}
}

func TestReportJSON(t *testing.T) {
	r := &Report{Path: "/x/Dockerfile", Built: Built{true, true}, Sizes: Sizes{100, 10, 0.1},
		Config: &ConfigReport{Equal: true, Differences: []string{}},
		Smoke: Smoke{Args: []string{"a"}, Source: "file", Run: true, Before: &SmokeRun{Stdout: "hi\n"}, After: &SmokeRun{Stdout: "hi\n"}, Same: true,
			ExpectedMatch: &Expected{true, true}},
		RebuildSeconds: &Rebuild{Before: 3, After: 1, File: "main.go", Change: "comment"},
		Tools:          &Tools{Before: []string{"gcc"}, After: []string{}},
	}
	if !r.OK() {
		t.Fatalf("report should be OK: %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"path", "sizes", "build_seconds", "rebuild_seconds", "config", "smoke", "tools", "ok"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	if m["ok"] != true {
		t.Errorf("ok = %v", m["ok"])
	}
	keys := func(v any) []string {
		var out []string
		for k := range v.(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got := keys(m["sizes"]); !reflect.DeepEqual(got, []string{"after", "before", "ratio"}) {
		t.Errorf("sizes keys = %q", got)
	}
	smoke := m["smoke"].(map[string]any)
	for _, k := range []string{"args", "before", "after", "same", "expected_match"} {
		if _, ok := smoke[k]; !ok {
			t.Errorf("no smoke.%s in %s", k, b)
		}
	}
	if got := keys(smoke["before"]); !reflect.DeepEqual(got, []string{"exit", "stdout"}) {
		t.Errorf("smoke.before keys = %q", got)
	}

	// Each condition of OK.
	for name, breakIt := range map[string]func(r *Report){
		"skipped":      func(r *Report) { r.Skipped = "skipped: x" },
		"no build":     func(r *Report) { r.Built.After = false },
		"larger":       func(r *Report) { r.Sizes.After = 101 },
		"config":       func(r *Report) { r.Config.Equal = false },
		"smoke differ": func(r *Report) { r.Smoke.Same = false },
		"smoke notrun": func(r *Report) { r.Smoke.Run = false },
		"tools":        func(r *Report) { r.Tools.After = []string{"go"} },
	} {
		c := *r
		cfg, tools := *r.Config, *r.Tools
		c.Config, c.Tools = &cfg, &tools
		breakIt(&c)
		if c.OK() {
			t.Errorf("%s: OK() = true", name)
		}
	}
	// No smoke configured is fine.
	c := *r
	c.Smoke = Smoke{Args: []string{}}
	if !c.OK() {
		t.Error("a report without smoke configured should be OK")
	}
	var sb strings.Builder
	r.WriteTable(&sb)
	if !strings.Contains(sb.String(), "ratio 0.100") || !strings.Contains(sb.String(), ": OK") {
		t.Errorf("table:\n%s", sb.String())
	}
}

// TestRunSkipped: a file the rewrite leaves alone is reported as skipped,
// without building anything.
func TestRunSkipped(t *testing.T) {
	requireEngine(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM golang:1.26 AS build\nRUN true\nFROM scratch\nCOPY --from=build /etc/passwd /etc/passwd\n"), 0o644)
	r, err := Run(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Skipped, "skipped: ") || r.OK() {
		t.Fatalf("report = %+v", r)
	}
	t.Log(r.Skipped)
}

// TestAddedPath: the venv entry of a rewrite's quoted ENV PATH counts as
// added on purpose, so the config comparison accepts it.
func TestAddedPath(t *testing.T) {
	orig, err := parser.Parse("Dockerfile", []byte("FROM python:3.11\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := []byte("FROM python:3.11 AS build\nCOPY . .\nRUN python -m venv /opt/venv\nENV VIRTUAL_ENV=/opt/venv PATH=\"/opt/venv/bin:$PATH\"\nRUN pip install -r requirements.txt\n\nFROM python:3.11-slim\nENV PATH='/opt/venv/bin:$PATH'\nCOPY --from=build /opt/venv /opt/venv\nCOPY . .\nCMD [\"python\", \"app.py\"]\n")
	got := addedPath(orig, out)
	if !got["/opt/venv/bin"] || len(got) != 1 {
		t.Errorf("addedPath = %v, want only /opt/venv/bin", got)
	}
}
