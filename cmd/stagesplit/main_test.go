package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"stagesplit": func() int { return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) },
		// stagesplit-exit runs the same command but always succeeds,
		// printing "exit=N" last on stderr, so scripts can tell exit code 1
		// (changes found) from 2 (error).
		"stagesplit-exit": func() int {
			code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			fmt.Fprintf(os.Stderr, "exit=%d\n", code)
			return 0
		},
	}))
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		// [root]: permission bits do not stop root, so the unreadable-file
		// and read-only-directory cases only run for other users.
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}
