package transform

import (
	"fmt"
	"strings"
)

// Runtime policies for Options.Runtime (the --runtime flag).
const (
	RuntimeSlim       = "slim"
	RuntimeDistroless = "distroless"
	RuntimeAlpine     = "alpine"
	RuntimeScratch    = "scratch"
)

// RuntimePolicies lists the values Options.Runtime accepts ("" is slim).
var RuntimePolicies = []string{RuntimeSlim, RuntimeDistroless, RuntimeAlpine, RuntimeScratch}

// RuntimeRow is one line of the image table: which runtime image a
// builder of an ecosystem maps to under each policy. Placeholders:
//
//	{rel}     Debian release of the builder (bookworm, trixie)
//	{debN}    its Debian major version (12, 13)
//	{alpine}  the builder's Alpine version (3.19), "latest" when unpinned
//	{major}   the language's major version the ecosystem pass read
//	          (Java 17, Node.js 22)
//
// An empty cell means the policy has no image for the ecosystem; Refused
// then says why. Slim documents the default, which the ecosystem pass
// computes itself (it needs the builder's exact tag).
type RuntimeRow struct {
	Ecosystem string
	// Static rows apply to binaries that link no libc.
	Static     bool
	Slim       string
	Distroless string
	Alpine     string
	Scratch    string
	Refused    string
}

// RuntimeTable is the image mapping, in one place (docs/tables.md shows
// it; TestTablesDoc keeps the two in step). Sources: REWRITE-RULES.md §3,
// the distroless README (2026-11: static, base, cc, java17/21, nodejs and
// python3 images exist for debian12 and debian13 only).
var RuntimeTable = []RuntimeRow{
	{Ecosystem: "go", Static: true, Slim: "gcr.io/distroless/static-debian12 when no shell is needed, else debian:{rel}-slim",
		Distroless: "gcr.io/distroless/static-debian{debN}", Alpine: "alpine:{alpine}", Scratch: "scratch"},
	{Ecosystem: "go", Slim: "debian:{rel}-slim", Distroless: "gcr.io/distroless/base-debian{debN}", Alpine: "alpine:{alpine}",
		Refused: "a cgo binary links glibc or musl: scratch has neither"},
	{Ecosystem: "rust", Static: true, Slim: "debian:{rel}-slim", Distroless: "gcr.io/distroless/static-debian{debN}", Alpine: "alpine:{alpine}", Scratch: "scratch"},
	{Ecosystem: "rust", Slim: "debian:{rel}-slim", Distroless: "gcr.io/distroless/cc-debian{debN}", Alpine: "alpine:{alpine}",
		Refused: "a binary linked to glibc needs it at run time: scratch has no libc"},
	{Ecosystem: "c", Static: true, Slim: "debian:{rel}-slim", Distroless: "gcr.io/distroless/static-debian{debN}", Alpine: "alpine:{alpine}", Scratch: "scratch"},
	{Ecosystem: "c", Slim: "debian:{rel}-slim for the gcc image; the builder's own image (debian's -slim of a release tag) on debian, ubuntu and alpine", Distroless: "gcr.io/distroless/cc-debian{debN}", Alpine: "alpine:{alpine}",
		Refused: "a dynamically linked binary needs its libc: scratch has none"},
	{Ecosystem: "node", Slim: "node:{tag}-slim", Alpine: "node:{tag} when the builder is alpine",
		Refused: "distroless nodejs images set ENTRYPOINT [\"/nodejs/bin/node\"], which changes how CMD runs; scratch has no Node.js"},
	{Ecosystem: "python", Slim: "python:{tag}-slim", Alpine: "python:{tag} when the builder is alpine",
		Refused: "distroless python3 runs Debian's /usr/bin/python3, not the builder's /usr/local/bin/python3.X, so the venv would not start; scratch has no Python"},
	{Ecosystem: "ruby", Slim: "ruby:{tag}-slim", Alpine: "ruby:{tag} when the builder is alpine",
		Refused: "there is no distroless Ruby image; scratch has no Ruby"},
	{Ecosystem: "java", Slim: "eclipse-temurin:{major}-jre", Alpine: "eclipse-temurin:{major}-jre-alpine when the builder is alpine",
		Refused: "distroless java images set ENTRYPOINT [\"/usr/bin/java\", \"-jar\"], which changes how CMD runs; scratch has no JVM"},
	{Ecosystem: "crystal", Slim: "ubuntu:{version} of the builder's Ubuntu release",
		Refused: "the crystallang/crystal images are Ubuntu-based and distroless is Debian: another glibc and other library packages; alpine needs the alpine crystal image, not planned yet; scratch has no libc"},
	{Ecosystem: "swift", Slim: "swift:{tag}-slim",
		Refused: "distroless has no Swift run-time libraries; alpine has no Swift image; scratch has no libc"},
	{Ecosystem: "dotnet", Slim: "mcr.microsoft.com/dotnet/aspnet:{version} (web) or runtime:{version}",
		Refused: "distroless has no .NET image and the chiseled images are not in this table yet; scratch has no .NET runtime"},
}

var debianMajor = map[string]string{"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"}

// runtimeRow finds the row of an ecosystem.
func runtimeRow(eco string, static bool) (RuntimeRow, bool) {
	for _, r := range RuntimeTable {
		if r.Ecosystem == eco && r.Static == static {
			return r, true
		}
	}
	for _, r := range RuntimeTable {
		if r.Ecosystem == eco && !r.Static {
			return r, true
		}
	}
	return RuntimeRow{}, false
}

var passRuntime = &Pass{
	Name: "runtime",
	Doc: `Applies the --runtime policy to the runtime image the ecosystem pass chose.
slim (the default) keeps that choice: the slim image of the builder's family and release, or
distroless static for a static Go binary that needs no shell. distroless, alpine and scratch map
the builder through the image table (docs/tables.md) and are refused, with the reason, when their
preconditions fail: distroless and scratch have no shell (so no shell-form CMD, ENTRYPOINT or
HEALTHCHECK, no packages or users to install in the final stage); scratch takes only static
binaries; alpine only a builder that is already musl (switching libc breaks native code).`,
	Requires: []*Pass{passPackages},
	Run: func(u *Unit) error {
		p := u.Plan
		policy := u.Opts.Runtime
		if p == nil || policy == "" || policy == RuntimeSlim {
			return nil
		}
		row, _ := runtimeRow(p.Ecosystem, p.Static)
		var cell string
		switch policy {
		case RuntimeDistroless:
			cell = row.Distroless
		case RuntimeAlpine:
			cell = row.Alpine
		case RuntimeScratch:
			cell = row.Scratch
		default:
			return fmt.Errorf("unknown runtime policy %q (want one of %s)", policy, strings.Join(RuntimePolicies, ", "))
		}
		refuse := func(line int, format string, args ...any) error {
			u.Skip(line, "--runtime=%s refused: %s", policy, fmt.Sprintf(format, args...))
			return nil
		}
		from := u.Stage.From.StartLine
		if cell == "" {
			why := refusedFor(row.Refused, policy)
			if why == "" {
				why = "the image table has no " + policy + " image for " + p.Ecosystem
			}
			return refuse(from, "%s", why)
		}
		needs := u.runtimeNeeds()
		if policy == RuntimeAlpine {
			if u.Base.Libc != "musl" {
				return refuse(from, "the builder %s links glibc; a musl runtime would break native code (use an alpine builder)", u.Base.Expanded)
			}
			if p.Runtime.Libc == "musl" {
				u.Fact(from, "--runtime=alpine: %s is already alpine", p.Runtime.Ref)
				return nil
			}
		} else {
			// distroless and scratch have no shell.
			if needs.Shell {
				return refuse(needs.ShellLine, "the image has no shell, and %s", needs.ShellWhy)
			}
			if runs := append(append([]Gen{}, p.RuntimeRuns...), p.RuntimeTail...); len(runs) > 0 {
				return refuse(runs[0].Line, "the final stage must install or set up something (%s), and the image has no shell or package manager", runs[0].Why)
			}
			if len(needs.Tools) > 0 {
				return refuse(from, "the container calls %s, which the image lacks", strings.Join(mapKeys(needs.Tools), ", "))
			}
			if u.needsUserReplay(needs) {
				return refuse(needs.UserLine, "USER %s is created by this Dockerfile, and the image cannot run useradd", needs.User)
			}
		}
		if policy == RuntimeScratch && !p.Static {
			return refuse(from, "%s", refusedFor(row.Refused, policy))
		}
		rel := u.Base.Release
		vars := map[string]string{
			"{rel}":    rel,
			"{debN}":   debianMajor[rel],
			"{alpine}": strings.TrimPrefix(rel, "alpine"),
			"{major}":  p.Major,
		}
		if vars["{alpine}"] == "" {
			vars["{alpine}"] = "latest"
		}
		if strings.Contains(cell, "{debN}") && vars["{debN}"] == "" {
			if !p.Static {
				return refuse(from, "distroless images exist for Debian 12 and 13; the builder's release (%s) does not match", orUnknown(rel))
			}
			vars["{debN}"] = "12" // a static binary needs no libc of a given release
		}
		if strings.Contains(cell, "{debN}") && vars["{debN}"] != "12" && vars["{debN}"] != "13" {
			return refuse(from, "distroless images exist for Debian 12 and 13, not for %s", rel)
		}
		ref := cell
		for k, v := range vars {
			ref = strings.ReplaceAll(ref, k, v)
		}
		if i := strings.Index(ref, " "); i >= 0 { // a note after the image
			ref = ref[:i]
		}
		p.Runtime = ParseImage(ref, ref)
		u.Fact(from, "--runtime=%s: runtime %s", policy, ref)
		if policy == RuntimeScratch {
			p.Copies = append(p.Copies, Copy{Src: "/etc/ssl/certs/ca-certificates.crt", Dst: "/etc/ssl/certs/ca-certificates.crt",
				Why: "scratch has no CA certificates: TLS clients in the program need the builder's bundle", Line: from})
			if p.Ecosystem == "go" && u.Base.Libc != "musl" || u.installedByPackage("tzdata") {
				// The Debian golang images have tzdata; elsewhere only an
				// install says the builder has it.
				p.Copies = append(p.Copies, Copy{Src: "/usr/share/zoneinfo", Dst: "/usr/share/zoneinfo",
					Why: "scratch has no time zone database: TZ and time.LoadLocation read it, as they did in the builder (distroless static has it too)", Line: from})
			}
		}
		return nil
	},
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// refusedFor picks the clause of a row's Refused text that is about the
// policy ("...; scratch has no Python" for scratch), or "" when none is.
func refusedFor(refused, policy string) string {
	for _, clause := range strings.Split(refused, "; ") {
		if strings.Contains(clause, policy) {
			return clause
		}
	}
	return ""
}
