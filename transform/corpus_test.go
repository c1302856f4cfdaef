package transform

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stagesplit/stagesplit/internal/corpus"
	"github.com/stagesplit/stagesplit/parser"
)

// TestCorpus rewrites every real-world file of the shared corpus: none may
// crash; each is either rewritten into a valid, config-preserving,
// idempotent Dockerfile or skipped, unchanged, with a reason.
func TestCorpus(t *testing.T) {
	reasons := map[string]int{}
	var rewritten []string
	for _, cf := range corpus.Files(t) {
		if strings.HasPrefix(cf.Rel, "syntax") {
			continue
		}
		src, err := os.ReadFile(cf.Path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.Parse(cf.Rel, src)
		if err != nil {
			reasons["parse error"]++
			t.Logf("%s: %v", cf.Rel, err)
			continue
		}
		res, err := Rewrite(f, Options{})
		if err != nil {
			t.Errorf("%s: %v", cf.Rel, err)
			continue
		}
		if !res.Changed {
			if res.SkippedReason == "" {
				t.Errorf("%s: unchanged without a reason", cf.Rel)
			}
			if string(res.Output) != string(src) {
				t.Errorf("%s: skipped but output differs from input", cf.Rel)
			}
			reasons[skipKind(res.SkippedReason)]++
			continue
		}
		rewritten = append(rewritten, cf.Rel)
		checkRewrite(t, cf.Rel, src, res.Output, Options{})
	}
	var lines []string
	for r, n := range reasons {
		lines = append(lines, r+": "+itoa(n))
	}
	sort.Strings(lines)
	t.Logf("rewritten %d: %s", len(rewritten), strings.Join(rewritten, ", "))
	t.Logf("skipped: %s", strings.Join(lines, "; "))
}

// checkRewrite verifies an output independently of the self-check pass.
func checkRewrite(t *testing.T, name string, in, out []byte, opts Options) {
	t.Helper()
	f2, err := parser.Parse(name, out)
	if err != nil {
		t.Errorf("%s: output does not parse: %v", name, err)
		return
	}
	if len(f2.Stages()) < 2 {
		t.Errorf("%s: output is not multi-stage", name)
	}
	a, err := Convert(in)
	if err != nil {
		t.Errorf("%s: input does not convert: %v", name, err)
		return
	}
	b, err := Convert(out)
	if err != nil {
		t.Errorf("%s: output does not convert: %v", name, err)
		return
	}
	for rule := range b.Lint {
		if _, ok := a.Lint[rule]; !ok {
			t.Errorf("%s: new lint rule %s: %s", name, rule, b.Lint[rule])
		}
	}
	secrets := map[string]bool{}
	for _, kv := range a.Image.Config.Env {
		k, _, _ := strings.Cut(kv, "=")
		if IsSecretName(k) {
			secrets[k] = true
		}
	}
	if d := CompareConfig(a, b, secrets, map[string]bool{venvDir + "/bin": true}); len(d) > 0 {
		t.Errorf("%s: config changed: %v", name, d)
	}
	for _, kv := range b.Image.Config.Env {
		k, _, _ := strings.Cut(kv, "=")
		if IsSecretName(k) {
			t.Errorf("%s: secret-looking ENV %s reaches the runtime stage", name, k)
		}
	}
	// The rewrite never adds a download piped into a shell.
	for _, l := range strings.Split(string(out), "\n") {
		if pipeToShell.MatchString(l) && !strings.Contains(string(in), strings.TrimSpace(l)) {
			t.Errorf("%s: added a download piped into a shell: %q", name, l)
		}
	}
	images := map[string]bool{} // the original's COPY --from=<image>
	if f1, err := parser.Parse(name, in); err == nil {
		for _, st := range f1.Stages() {
			for _, i := range st.Body {
				if c, ok := i.Command.(*instructions.CopyCommand); ok && c.From != "" {
					images[c.From] = true
				}
			}
		}
	}
	if err := checkCopyFrom(f2, images); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	again, err := Rewrite(f2, opts)
	if err != nil || again.Changed {
		t.Errorf("%s: second run changed the output (err %v)", name, err)
	}
}

var pipeToShell = regexp.MustCompile(`(curl|wget)[^|]*\|\s*(sudo\s+)?(sh|bash)\b`)

func skipKind(reason string) string {
	if i := strings.IndexAny(reason, ":("); i > 0 {
		reason = reason[:i]
	}
	if len(reason) > 60 {
		reason = reason[:60]
	}
	return reason
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
