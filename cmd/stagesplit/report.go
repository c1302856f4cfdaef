package main

import (
	"encoding/json"
	"errors"
	"os"

	"github.com/stagesplit/stagesplit/emit"
	"github.com/stagesplit/stagesplit/parser"
)

// writeReport prints the --report format chosen.
func (o *options) writeReport(reports []fileReport) error {
	switch o.report {
	case "json":
		enc := json.NewEncoder(o.stdout)
		enc.SetIndent("", "  ")
		if reports == nil {
			reports = []fileReport{}
		}
		return enc.Encode(reports)
	case "sarif":
		b, err := emit.SARIF(fileResults(reports), version)
		if err != nil {
			return err
		}
		_, err = o.stdout.Write(b)
		return err
	case "rdjson":
		b, err := emit.RDJSON(fileResults(reports))
		if err != nil {
			return err
		}
		_, err = o.stdout.Write(b)
		return err
	case "github":
		rs := fileResults(reports)
		emit.GitHubAnnotations(o.stdout, rs)
		// The Markdown summary goes where GitHub Actions shows it.
		if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString(emit.GitHubSummary(rs))
			return err
		}
	}
	return nil
}

// fileResults converts the per-file reports for the emitters, with paths
// relative to the working directory (the repository root in CI).
func fileResults(reports []fileReport) []emit.FileResult {
	out := make([]emit.FileResult, 0, len(reports))
	for _, r := range reports {
		fr := emit.FileResult{
			Path: diffName(r.Path), Status: r.Status, Reason: r.Reason, Ecosystem: r.Ecosystem,
			BaseBefore: r.BaseBefore, RuntimeBase: r.RuntimeBase, Decisions: r.Decisions,
			Before: r.before, After: r.after, SavingMB: r.SavingMB,
		}
		if r.Status == "error" {
			fr.Error = r.Error
			var pe *parser.Error
			if r.err != nil && errors.As(r.err, &pe) {
				fr.Error, fr.ErrorLine = pe.Msg, pe.Line
			}
		}
		out = append(out, fr)
	}
	return out
}
