package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagesplit/stagesplit/internal/corpus"
)

// BenchmarkListTree10k runs `stagesplit -l` over a generated tree of
// 10,000 Dockerfiles (copies of the shared corpus, 100 per directory).
// Target: under 3 s on 2 cores, with memory that does not grow with the
// tree (measure with /usr/bin/time -v on the binary for the peak).
func BenchmarkListTree10k(b *testing.B) {
	var srcs [][]byte
	for _, cf := range corpus.Files(b) {
		if strings.HasPrefix(cf.Rel, "syntax") {
			continue
		}
		data, err := os.ReadFile(cf.Path)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, data)
	}
	root := b.TempDir()
	for i := 0; i < 10000; i++ {
		dir := filepath.Join(root, fmt.Sprintf("r%03d", i/100), fmt.Sprintf("s%02d", i%100))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), srcs[i%len(srcs)], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := run([]string{"-l", root}, strings.NewReader(""), io.Discard, io.Discard); code == exitError {
			b.Fatal("error")
		}
	}
}
