package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stagesplit/stagesplit/transform"
	"golang.org/x/term"
)

// summary counts outcomes for the closing lines printed to people.
type summary struct {
	seen, rewritten, errors int
	skipped                 map[string]int
	savingMB                float64
	estimated               int
}

func newSummary() *summary { return &summary{skipped: map[string]int{}} }

func (s *summary) add(r fileReport) {
	s.seen++
	switch r.Status {
	case "rewritten":
		s.rewritten++
		if r.SavingMB > 0 {
			s.savingMB += r.SavingMB
			s.estimated++
		}
	case "skipped":
		s.skipped[reasonKind(r.Reason)]++
	case "error":
		s.errors++
	}
}

// reasonKind groups skip reasons: the text before the first colon, with
// image names and numbers left as they are.
func reasonKind(reason string) string {
	for _, sep := range []string{": ", " ("} {
		if i := strings.Index(reason, sep); i > 0 {
			reason = reason[:i]
		}
	}
	return reason
}

func (s *summary) write(w io.Writer) {
	fmt.Fprintf(w, "stagesplit: %d files: %d rewritten, %d skipped, %d errors\n", s.seen, s.rewritten, s.seen-s.rewritten-s.errors, s.errors)
	kinds := make([]string, 0, len(s.skipped))
	for k := range s.skipped {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if s.skipped[kinds[i]] != s.skipped[kinds[j]] {
			return s.skipped[kinds[i]] > s.skipped[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	for _, k := range kinds {
		fmt.Fprintf(w, "  skipped %4d  %s\n", s.skipped[k], k)
	}
	if s.estimated > 0 {
		fmt.Fprintf(w, "  estimated saving: %s compressed over %d rewritten files (%s each on average; an estimate from %s, before what the Dockerfiles add)\n",
			megabytes(s.savingMB), s.estimated, megabytes(s.savingMB/float64(s.estimated)), sizeTableSource)
	}
}

// sizeTableSource dates the image size table.
const sizeTableSource = "docker-library/repo-info compressed linux/amd64 sizes, 2026"

// imageMB are compressed sizes in MB of the official images the rewrite
// moves between (REWRITE-RULES.md §3, from docker-library/repo-info).
var imageMB = map[string]float64{
	"golang":      312.3,
	"node":        408.5,
	"node-slim":   79.9,
	"distroless":  2.0,
	"debian-slim": 28.0,
	"python":      410.9,
	"python-slim": 43.2,
	"maven":       242.7, // maven:*-eclipse-temurin-21
	"temurin-jre": 121.1, // eclipse-temurin:21-jre
	"rust":        593.0,
}

// estimateSaving is the builder image's compressed size less the
// runtime's, for the families the table knows; 0 otherwise.
func estimateSaving(res *transform.Result) float64 {
	var before, after float64
	switch res.Ecosystem {
	case "go":
		before = imageMB["golang"]
		switch {
		case strings.Contains(res.RuntimeBase, "distroless"):
			after = imageMB["distroless"]
		case strings.HasPrefix(res.RuntimeBase, "debian:"):
			after = imageMB["debian-slim"]
		default:
			return 0
		}
	case "node":
		if strings.Contains(res.BaseBefore, "alpine") || strings.Contains(res.BaseBefore, "slim") {
			return 0
		}
		before, after = imageMB["node"], imageMB["node-slim"]
	case "python":
		if strings.Contains(res.BaseBefore, "alpine") || strings.Contains(res.BaseBefore, "slim") {
			return 0
		}
		before, after = imageMB["python"], imageMB["python-slim"]
	case "java":
		if !strings.Contains(res.RuntimeBase, "-jre") || strings.Contains(res.RuntimeBase, "alpine") {
			return 0
		}
		before, after = imageMB["maven"], imageMB["temurin-jre"]
	case "rust":
		switch {
		case strings.Contains(res.RuntimeBase, "distroless"), res.RuntimeBase == "scratch":
			after = imageMB["distroless"]
		case strings.HasPrefix(res.RuntimeBase, "debian:"):
			after = imageMB["debian-slim"]
		default:
			return 0
		}
		before = imageMB["rust"]
	default:
		return 0
	}
	return before - after
}

// progress shows "files done" on standard error while a long walk runs,
// only when standard error is a terminal and TERM is not dumb; with
// NO_COLOR set it writes no escape sequence.
type progressBar struct {
	mu   sync.Mutex
	last time.Time
	on   bool
	w    io.Writer
}

func newProgress(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	on := ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
	return &progressBar{on: on, w: w}
}

func (p *progressBar) update(done int) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\rstagesplit: %d files", done)
}

func (p *progressBar) done() {
	if p == nil || !p.on || p.last.IsZero() {
		return
	}
	if os.Getenv("NO_COLOR") != "" {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 40)+"\r")
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
}

// megabytes prints a size given in MB, in GB from 1000 MB on.
func megabytes(mb float64) string {
	if mb >= 1000 {
		return fmt.Sprintf("%.1f GB", mb/1000)
	}
	return fmt.Sprintf("%.1f MB", mb)
}
