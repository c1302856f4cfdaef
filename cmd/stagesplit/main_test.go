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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// nodac runs a command that permission bits must stop. Root
			// ignores them through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH,
			// so as root (as in CI) the command runs without those two
			// capabilities, under util-linux's setpriv.
			"nodac": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) == 0 {
					ts.Fatalf("usage: nodac command [args...]")
				}
				name := args[0]
				if os.Geteuid() == 0 {
					name, args = "setpriv", append([]string{"--bounding-set=-dac_override,-dac_read_search"}, args...)
				} else {
					args = args[1:]
				}
				err := ts.Exec(name, args...)
				if (err != nil) != neg {
					ts.Fatalf("nodac: %v", err)
				}
			},
		},
	})
}
