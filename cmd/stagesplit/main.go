// Command stagesplit rewrites single-stage Dockerfiles into multi-stage
// builds. See README.md for flags and exit codes.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
