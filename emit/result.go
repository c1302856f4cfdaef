package emit

import "github.com/stagesplit/stagesplit/transform"

// FileResult is what the reports know about one file.
type FileResult struct {
	// Path is repository-relative, with forward slashes.
	Path   string
	Status string // "rewritten", "skipped", "unchanged" or "error"
	// Reason is why a skipped file was left alone.
	Reason string
	// Error and ErrorLine describe a file that could not be read or parsed.
	Error     string
	ErrorLine int
	Ecosystem string
	// BaseBefore is the original FROM image, RuntimeBase the new final one.
	BaseBefore, RuntimeBase string
	Decisions               []transform.Decision
	// Before and After are the file's bytes and the rewrite (equal unless
	// rewritten).
	Before, After []byte
	// SavingMB is the estimated compressed-size saving, 0 when unknown.
	SavingMB float64
}
