package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stagesplit/stagesplit/verify"
	"github.com/urfave/cli/v2"
)

func verifyCommand(code *int) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "build the original and the rewrite with a real Docker engine and compare them",
		ArgsUsage: "PATH",
		Description: "PATH is a Dockerfile or a directory holding one; the build context is its directory.\n" +
			"Both images are built with BuildKit through the docker CLI (DOCKER_HOST and contexts are respected;\n" +
			"STAGESPLIT_DOCKER names another client). Reports sizes, config equality, the smoke command's output\n" +
			"in both images, build tools left on the runtime's PATH, and rebuild time after a source change.\n" +
			"Exit 0 only when the rewrite builds, runs the same and is not larger; 1 when it does not; 2 on error.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.StringFlag{Name: "smoke", Usage: "arguments for `docker run --rm IMAGE ARGS` in both images (default: the file smoke next to the Dockerfile)"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the built images"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("verify takes one PATH")
			}
			opt := verify.Options{Keep: c.Bool("keep"), Stdout: c.App.ErrWriter, Stderr: c.App.ErrWriter}
			if s := c.String("smoke"); s != "" {
				opt.Smoke = strings.Fields(s)
			}
			rep, err := verify.Run(c.Context, c.Args().First(), opt)
			if err != nil {
				fmt.Fprintf(c.App.ErrWriter, "stagesplit verify: %v\n", err)
				*code = exitError
				return nil
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				rep.WriteTable(c.App.Writer)
			}
			if rep.OK() {
				*code = exitOK
			} else {
				*code = exitChanges
			}
			return nil
		},
	}
}
