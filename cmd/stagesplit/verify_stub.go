package main

import "github.com/urfave/cli/v2"

func verifyCommand(code *int) *cli.Command { return &cli.Command{Name: "verify", Hidden: true} }
