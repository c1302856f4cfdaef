package emit

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/stagesplit/stagesplit/transform"
)

// maxAnnotationsPerFile bounds the workflow commands written for one file.
// GitHub itself shows at most 10 warning and 10 error annotations per step
// (and 50 per job), so a long list would only be cut arbitrarily.
const maxAnnotationsPerFile = 5

// GitHubAnnotations writes GitHub Actions workflow commands that annotate
// files: per file at most 5 of its decisions, the most important first
// (skip, warn, split, drop, add, then edit; facts are left out), as
//
//	::notice file=PATH,line=N,endLine=M,title=stagesplit/PASS::MESSAGE
//
// with ::warning for warn decisions and one ::error for a file that could
// not be parsed. A decision about the whole file has no line. Messages and
// properties are escaped as GitHub's toolkit does, so a path or message
// cannot end the command early or inject another one. Files come in path
// order, each file's annotations in line order.
func GitHubAnnotations(w io.Writer, results []FileResult) {
	var b strings.Builder
	for _, r := range sortedResults(results) {
		if r.Status == "error" {
			writeAnnotation(&b, "error", r.Path, max(r.ErrorLine, 1), 0, ParseRule, "could not be parsed: "+r.Error)
			continue
		}
		ks := keyDecisions(r.Decisions, maxAnnotationsPerFile)
		for _, d := range ks.shown {
			level := "notice"
			if d.Action == transform.ActWarn {
				level = "warning"
			}
			writeAnnotation(&b, level, r.Path, d.Line, d.EndLine, d.Pass, d.Message)
		}
		if len(ks.shown) == 0 {
			switch {
			case r.Status == "rewritten":
				writeAnnotation(&b, "notice", r.Path, primaryLine(r), 0, "split", splitSentence(r))
			case r.Status == "skipped" && r.Reason != "":
				writeAnnotation(&b, "notice", r.Path, 0, 0, "", "left as it is: "+r.Reason)
			}
		}
	}
	io.WriteString(w, b.String())
}

func writeAnnotation(b *strings.Builder, level, path string, line, endLine int, pass, msg string) {
	b.WriteString("::")
	b.WriteString(level)
	b.WriteString(" file=")
	b.WriteString(escapeProperty(path))
	if line > 0 {
		b.WriteString(",line=")
		b.WriteString(strconv.Itoa(line))
		b.WriteString(",endLine=")
		b.WriteString(strconv.Itoa(max(endLine, line)))
	}
	title := "stagesplit"
	if pass != "" {
		title += "/" + pass
	}
	b.WriteString(",title=")
	b.WriteString(escapeProperty(title))
	b.WriteString("::")
	b.WriteString(escapeData(msg))
	b.WriteByte('\n')
}

// escapeData escapes a workflow command's message as @actions/core does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value as
// @actions/core does: the message escapes plus ":" and ",", which would
// otherwise end the value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// GitHubSummary returns Markdown for $GITHUB_STEP_SUMMARY: the counts, a
// table of the rewritten files with their images and estimated saving, the
// skipped files grouped by reason and the files that could not be parsed.
func GitHubSummary(results []FileResult) string {
	rs := sortedResults(results)
	var rewritten, unchanged, failed []FileResult
	skipped := map[string][]FileResult{}
	nSkipped := 0
	for _, r := range rs {
		switch r.Status {
		case "rewritten":
			rewritten = append(rewritten, r)
		case "skipped":
			reason := oneLine(r.Reason)
			if reason == "" {
				reason = "no reason given"
			}
			skipped[reason] = append(skipped[reason], r)
			nSkipped++
		case "error":
			failed = append(failed, r)
		default:
			unchanged = append(unchanged, r)
		}
	}

	var b strings.Builder
	b.WriteString("## stagesplit\n\n")
	if len(rs) == 0 {
		b.WriteString("No Dockerfile was found.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%s seen: %d rewritten, %d skipped, %d unchanged, %d %s.\n",
		plural(len(rs), "Dockerfile", "Dockerfiles"), len(rewritten), nSkipped, len(unchanged),
		len(failed), pluralWord(len(failed), "error", "errors"))

	if len(rewritten) > 0 {
		b.WriteString("\n### Rewritten\n\n")
		b.WriteString("| File | Base before → runtime base | Estimated saving |\n")
		b.WriteString("| --- | --- | ---: |\n")
		total := 0.0
		for _, r := range rewritten {
			saving := "not estimated"
			if r.SavingMB > 0 {
				saving = formatMB(r.SavingMB) + " (estimate)"
				total += r.SavingMB
			}
			fmt.Fprintf(&b, "| %s | %s → %s | %s |\n", mdCode(r.Path, true),
				mdCode(orUnknown(r.BaseBefore), true), mdCode(orUnknown(r.RuntimeBase), true), saving)
		}
		if total > 0 {
			fmt.Fprintf(&b, "\nEstimated saving in all: %s of compressed image size. Estimates, not measurements: `stagesplit verify` builds both images and compares them.\n", formatMB(total))
		}
	}

	if nSkipped > 0 {
		b.WriteString("\n### Skipped\n")
		reasons := make([]string, 0, len(skipped))
		for reason := range skipped {
			reasons = append(reasons, reason)
		}
		sort.Slice(reasons, func(i, j int) bool {
			ni, nj := len(skipped[reasons[i]]), len(skipped[reasons[j]])
			if ni != nj {
				return ni > nj
			}
			return reasons[i] < reasons[j]
		})
		for _, reason := range reasons {
			files := skipped[reason]
			fmt.Fprintf(&b, "\n%s (%s):\n\n", mdText(reason), plural(len(files), "file", "files"))
			for _, r := range files {
				fmt.Fprintf(&b, "- %s\n", mdCode(r.Path, false))
			}
		}
	}

	if len(failed) > 0 {
		b.WriteString("\n### Errors\n\n")
		for _, r := range failed {
			where := mdCode(r.Path, false)
			if r.ErrorLine > 0 {
				where += fmt.Sprintf(" line %d", r.ErrorLine)
			}
			msg := oneLine(r.Error)
			if msg == "" {
				msg = "could not be parsed"
			}
			fmt.Fprintf(&b, "- %s: %s\n", where, mdText(msg))
		}
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func plural(n int, one, many string) string {
	return strconv.Itoa(n) + " " + pluralWord(n, one, many)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdText escapes the characters that Markdown (with GitHub's extensions:
// tables, strikethrough, math, autolinks) would read as markup, and folds
// line breaks.
func mdText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune("\\`*_[]<>|~&!$#", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCode puts s in a code span whose fence is longer than any run of
// backticks in s. Inside a table cell "|" must still be escaped, since
// GitHub splits cells before it reads code spans.
func mdCode(s string, inTable bool) string {
	s = oneLine(s)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return fence + s + fence
}
