package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestBinaryInput: bytes that are not a UTF-8 Dockerfile get path:line:
// message and exit 2, and -w leaves them as they were.
func TestBinaryInput(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		data []byte
		want string
	}{
		"nul":   {[]byte("FROM golang:1.22\nRUN go build -o /x .\x00\n"), ":2: NUL byte"},
		"utf16": {append([]byte{0xFF, 0xFE}, []byte("F\x00R\x00O\x00M\x00")...), ":1: UTF-16 text is not supported"},
		"latin": {[]byte("FROM golang:1.22\nLABEL author=\"J\xe9r\xf4me\"\n"), ":2: invalid UTF-8"},
		"long":  {[]byte("FROM golang:1.22\nRUN echo " + strings.Repeat("x", 70000) + "\n"), ":2: line longer than 65535 bytes"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name+".Dockerfile")
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "-w", p)
		if code != exitError || !strings.HasPrefix(stderr, p+c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", name, code, stderr, p+c.want)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, c.data) {
			t.Errorf("%s: the file changed", name)
		}
	}
}

// TestLargeInputs: a 10 MB Dockerfile and a 100,000-line continuation
// are handled without error (the 10 MB one is skipped: it has more
// instructions than the self-check can afford; see transform.MaxInstructions).
func TestLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	dir := t.TempDir()
	var big bytes.Buffer
	big.WriteString("FROM golang:1.22-bookworm\nWORKDIR /app\nCOPY . .\n")
	for i := 0; big.Len() < 10<<20; i++ {
		fmt.Fprintf(&big, "RUN echo step %d\n", i)
	}
	big.WriteString("RUN CGO_ENABLED=0 go build -o /app/app .\nCMD [\"/app/app\"]\n")
	cont := "FROM golang:1.22-bookworm\nWORKDIR /app\nRUN echo \\\n" + strings.Repeat(" a \\\n", 100000) +
		" end\nRUN CGO_ENABLED=0 go build -o /app/app .\nCMD [\"/app/app\"]\n"
	bigPath, contPath := filepath.Join(dir, "big.Dockerfile"), filepath.Join(dir, "cont.Dockerfile")
	os.WriteFile(bigPath, big.Bytes(), 0o644)
	os.WriteFile(contPath, []byte(cont), 0o644)

	code, out, stderr := runCLI(t, "--explain", bigPath)
	if code != exitOK || out != big.String() || !strings.Contains(stderr, "instructions, more than 5000") {
		t.Errorf("10 MB file: exit %d, output equal %v, stderr %.200q", code, out == big.String(), stderr)
	}
	code, out, _ = runCLI(t, contPath)
	if code != exitOK || !strings.Contains(out, "FROM gcr.io/distroless/static-debian12") || !strings.Contains(out, strings.Repeat(" a \\\n", 100000)) {
		t.Errorf("continuation: exit %d, not rewritten with its body intact", code)
	}
}

// TestWriteKilled kills stagesplit -w at random moments and checks that
// the Dockerfile is always either the old bytes or the new ones, never a
// mix or an empty file.
func TestWriteKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "stagesplit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A large heredoc makes the written file a few MB, so that kills land
	// during the write as well as before and after it.
	var b bytes.Buffer
	b.WriteString("FROM golang:1.22-bookworm\nWORKDIR /app\nCOPY . .\nRUN <<EOF\n")
	for b.Len() < 4<<20 {
		b.WriteString("echo some build step that is long enough to matter\n")
	}
	b.WriteString("EOF\nRUN CGO_ENABLED=0 go build -o /app/app .\nCMD [\"/app/app\"]\n")
	old := b.Bytes()
	target := filepath.Join(dir, "Dockerfile")

	os.WriteFile(target, old, 0o644)
	start := time.Now()
	if out, err := exec.Command(bin, "-w", target).CombinedOutput(); err != nil {
		t.Fatalf("-w: %v\n%s", err, out)
	}
	full := time.Since(start)
	want, _ := os.ReadFile(target)
	if bytes.Equal(want, old) {
		t.Fatal("not rewritten")
	}

	rng := rand.New(rand.NewSource(1))
	var sawOld, sawNew, midWrite int
	for i := 0; i < 40; i++ {
		os.WriteFile(target, old, 0o644)
		cmd := exec.Command(bin, "-w", target)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Most of the run is reading and checking; aim at its end, where
		// the temporary file is written, synced and renamed.
		time.Sleep(full/2 + time.Duration(rng.Int63n(int64(full)*6/10+1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// A temporary file left behind means the kill landed while the new
		// file was being written (SIGKILL leaves no chance to remove it).
		if tmps, _ := filepath.Glob(filepath.Join(dir, ".Dockerfile.stagesplit-*")); len(tmps) > 0 {
			midWrite++
			for _, p := range tmps {
				os.Remove(p)
			}
		}
		got, err := os.ReadFile(target)
		switch {
		case err != nil:
			t.Fatalf("kill %d: %v", i, err)
		case bytes.Equal(got, old):
			sawOld++
		case bytes.Equal(got, want):
			sawNew++
		default:
			t.Fatalf("kill %d: the file is neither the old nor the new one (%d bytes)", i, len(got))
		}
	}
	t.Logf("40 kills within %v: %d left the old file, %d the new one, %d landed mid-write", full, sawOld, sawNew, midWrite)
}
