package transform

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

var passCrystal = &Pass{
	Name: "crystal",
	Doc: `Plans the split of a Crystal build on the crystallang/crystal image.
crystal build writes the program at -o/--output, else next to where it runs, named after the main
file without .cr; shards build writes bin/<target> for the targets of the build context's
shard.yml (or those it names), and without shard.yml the bin/ program the CMD or ENTRYPOINT runs.
The program links glibc and the libraries of the image's -dev packages (libgc, libpcre/libpcre2,
libevent, libssl, libz, libyaml, libxml2, libgmp, by the standard modules it requires): it runs
on the ubuntu image of the builder's Ubuntu release (docs/tables.md dates the tags; an unknown
release is a skip) with the run-time packages of all of them, and ca-certificates and tzdata,
which the image had. A --static build needs only the last two. The files the container's command
names (bash run.sh) are copied with the program; the source tree, lib/ of shards, and the
compiler stay behind. crystal run, crystal spec and shards run at run time need the toolchain:
a skip. The alpine images are not planned yet.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"crystal"},
	Run: func(u *Unit) error {
		needs := u.runtimeNeeds()
		if needs.Toolchain != 0 {
			u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the Crystal toolchain", needs.ToolchainWhat)
			return nil
		}
		switch path.Base(needs.Exec) {
		case "crystal", "shards":
			u.Skip(needs.ExecLine, "the container runs %s: it needs the Crystal toolchain", needs.Exec)
			return nil
		}
		if u.Base.Libc == "musl" {
			u.Skip(u.Stage.From.StartLine, "%s is an alpine image: only the Ubuntu-based crystallang/crystal images are planned yet", u.Base.Expanded)
			return nil
		}
		bins, static, why, line := u.crystalBins()
		if why != "" {
			u.Skip(line, "%s", why)
			return nil
		}
		if len(bins) == 0 {
			u.Skip(u.Stage.From.StartLine, "no crystal build or shards build writes a program: nothing to carry into a runtime stage")
			return nil
		}
		from := u.Stage.From.StartLine
		rel := u.Base.Release
		ref := ubuntuImage(rel)
		if ref == "" {
			u.Skip(from, "the Ubuntu release of %s is unknown (docs/tables.md lists the crystallang/crystal tags the rewrite knows): the program links its glibc and libraries, so the runtime must be the same release", u.Base.Expanded)
			return nil
		}
		plan := &Plan{Ecosystem: "crystal", Static: static, Runtime: ParseImage(ref, ref)}
		u.Plan = plan
		if !u.copyNativeBins(bins) {
			return nil
		}
		if static {
			u.Fact(from, "runtime %s: the Ubuntu release of %s; a static program needs none of its libraries, and it keeps a shell", ref, u.Base.Expanded)
		} else {
			u.Fact(from, "runtime %s: the Ubuntu release of %s (the program links its glibc)", ref, u.Base.Expanded)
		}
		if !static {
			for _, dev := range crystalImageDev {
				rt := devRuntimeName(dev, rel)
				if rt == "" {
					u.Skip(from, "the run-time package of %s on %s is not known (docs/tables.md)", dev, rel)
					u.Plan = nil
					return nil
				}
				plan.Packages = append(plan.Packages, Package{Name: rt, Line: bins[0].Line,
					Why: fmt.Sprintf("%s had %s (a Crystal program may link %s)", u.Base.Expanded, dev, rt)})
			}
		} else {
			u.Fact(bins[0].Line, "%s is linked with --static: it needs no library at run time", bins[0].Path)
		}
		plan.Packages = append(plan.Packages,
			Package{Name: "ca-certificates", Line: bins[0].Line, Why: u.Base.Expanded + " had the CA certificates, which the program's TLS clients read; " + ref + " lacks them"},
			Package{Name: "tzdata", Line: bins[0].Line, Why: u.Base.Expanded + " had the time zone database, which Time::Location reads; " + ref + " lacks it"})
		return nil
	},
}

// crystalImageDev are the -dev packages of the crystallang/crystal
// images (crystal-lang/distribution-scripts, docker/ubuntu.Dockerfile,
// the runtime target on ubuntu:24.04: libssl-dev libxml2-dev libyaml-dev
// libgmp-dev libpcre3-dev libpcre2-dev libevent-dev libz-dev libgc-dev;
// the newest moved libevent-dev to the -build images). A program links
// those its standard modules require (libgc, the regex engine and, up to
// the epoll event loop, libevent always; openssl, compress/zlib, yaml,
// xml and big when required): without the sources, all of them.
var crystalImageDev = []string{"libgc-dev", "libpcre3-dev", "libpcre2-dev", "libevent-dev", "libssl-dev", "zlib1g-dev", "libyaml-dev", "libxml2-dev", "libgmp-dev"}

// crystalValueFlags are crystal build flags that take the next word.
var crystalValueFlags = map[string]bool{"-o": true, "--output": true, "-D": true, "--define": true, "--link-flags": true,
	"--target": true, "--mcpu": true, "--mattr": true, "--mcmodel": true, "--emit": true, "--error-trace": false,
	"--x86-asm-syntax": true, "-f": true, "--format": true, "--threads": true, "--exclude-warnings": true, "--warnings": true}

var shardTargetRe = regexp.MustCompile(`(?m)^targets:\s*\n((?:[ \t]+.*\n?|\s*\n)*)`)
var shardTargetNameRe = regexp.MustCompile(`(?m)^[ \t]{1,4}([A-Za-z0-9_.-]+):\s*$`)

// crystalBins reads the crystal and shards commands of the RUN
// instructions; the reason is set when a build's output cannot be known.
func (u *Unit) crystalBins() (bins []nativeBin, static bool, why string, line int) {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			dir := c.Dir
			if dir == "" {
				dir = s.Workdir
			}
			line := s.In.StartLine
			if len(c.Args) < 2 {
				continue
			}
			switch c.Name() {
			case "crystal":
				if c.Args[1] != "build" {
					continue // run, spec, eval, docs... write no program
				}
				main, out := "", ""
				args := c.Args[2:]
				for i := 0; i < len(args); i++ {
					a := args[i]
					switch {
					case a == "--static":
						static = true
					case a == "--cross-compile" || a == "--emit":
						return nil, false, fmt.Sprintf("line %d runs crystal build %s: it writes an object file to link elsewhere, not a program", line, a), line
					case a == "-o" || a == "--output":
						if i+1 < len(args) {
							out = args[i+1]
						}
						i++
					case strings.HasPrefix(a, "--output="):
						out = strings.TrimPrefix(a, "--output=")
					case crystalValueFlags[a]:
						i++
					case strings.HasPrefix(a, "-"):
					case main == "":
						main = a
					}
				}
				if main == "" && out == "" || strings.ContainsAny(main+out, "$`*") {
					return nil, false, fmt.Sprintf("line %d: which program crystal build writes is not known", line), line
				}
				name := out
				if name == "" {
					name = strings.TrimSuffix(path.Base(main), ".cr")
				}
				bins = append(bins, nativeBin{Path: Resolve(dir, name), Line: line, Why: fmt.Sprintf("the program line %d builds", line)})
			case "shards":
				if c.Args[1] != "build" {
					continue // install, update, check: the dependencies
				}
				var targets []string
				for _, a := range c.Args[2:] {
					switch {
					case a == "--static":
						static = true
					case !strings.HasPrefix(a, "-"):
						targets = append(targets, a)
					}
				}
				if len(targets) == 0 {
					targets = u.shardTargets(dir, line)
				}
				if len(targets) == 0 {
					// The bin/ program the container runs.
					needs := u.runtimeNeeds()
					if p := Resolve(u.finalWorkdir(), needs.Exec); strings.Contains(needs.Exec, "/") && path.Dir(p) == path.Join(dir, "bin") && !strings.Contains(p, "$") {
						u.Fact(line, "shards build: no shard.yml in the build context; the program is %s, which the container runs", p)
						targets = []string{path.Base(p)}
					} else {
						return nil, false, fmt.Sprintf("line %d runs shards build: the programs it writes are the targets of shard.yml, which the build context does not show, and the container runs no program in %s/bin", line, dir), line
					}
				}
				for _, t := range targets {
					bins = append(bins, nativeBin{Path: path.Join(dir, "bin", t), Line: line, Why: fmt.Sprintf("target %s of shards build, line %d", t, line)})
				}
			}
		}
	}
	return bins, static, "", 0
}

// shardTargets are the target names of the shard.yml that a COPY put in
// dir before line, read from the build context.
func (u *Unit) shardTargets(dir string, line int) []string {
	var src string
	for i, s := range u.Steps {
		if s.In.StartLine >= line {
			if f, ok := u.contextFile(path.Join(dir, "shard.yml"), i); ok {
				src = f
			}
			break
		}
	}
	if src == "" {
		return nil
	}
	b, err := fs.ReadFile(u.Context.FS, src)
	if err != nil {
		return nil
	}
	m := shardTargetRe.FindSubmatch(b)
	if m == nil {
		return nil
	}
	var out []string
	for _, t := range shardTargetNameRe.FindAllSubmatch(m[1], -1) {
		out = append(out, string(t[1]))
	}
	return out
}

func init() {
	familyNames["crystallang/crystal"] = "crystal"
	// docker/ubuntu.Dockerfile of crystal-lang/distribution-scripts: no
	// ENV, WORKDIR or USER; CMD ["/bin/sh"].
	familyConfigs["crystal"] = func(im Image) BaseConfig {
		return BaseConfig{Env: []string{stdPath}, Cmd: []string{"/bin/sh"}}
	}
	// The Ubuntu release of the crystallang/crystal images: ubuntu:24.04
	// since distribution-scripts#307 (2024-05-25, before 1.13.0 of
	// 2024-07), until the Ubuntu 26.04 upgrade (#443) that reached crystal
	// with its 2026-07-31 update of distribution-scripts (#17178), after
	// 1.20.0 (2026-04). Older minors moved between focal and jammy on
	// dates not recorded here: unknown.
	familyReleases["crystal"] = func(im Image) string {
		if im.Variant != "" && im.Variant != "build" {
			return ""
		}
		major, minor := versionParts(im.Version)
		if major == 1 && minor >= 13 && minor <= 20 {
			return "noble"
		}
		return ""
	}
}
