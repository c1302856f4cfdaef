package transform

import (
	"fmt"
	"path"
	"strings"
)

var passC = &Pass{
	Name: "c",
	Doc: `Plans the split of a C or C++ build on the official gcc image, when the binary is static.
The gcc image (buildpack-deps plus a compiler built from source) links C++ programs against its own
libstdc++ and libgcc_s in /usr/local/lib64, newer than the Debian release's, and against whatever
buildpack-deps library the build finds; an ldconfig would be needed after copying /usr/local. So
only a program the CMD or ENTRYPOINT runs, written by a compiler command with -o and linked with
-static, is carried into debian:<release>-slim (any release
for a static binary; --runtime=scratch and distroless take it too). Builds by make, cmake or
configure, make install into /usr/local and dynamically linked programs are skipped with the
reason.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"gcc"},
	Run: func(u *Unit) error {
		if u.Base.Family != "gcc" {
			return nil
		}
		needs := u.runtimeNeeds()
		switch needs.Exec {
		case "gcc", "g++", "cc", "c++", "make", "cmake":
			u.Skip(needs.ExecLine, "the container runs %s: it needs the toolchain", needs.Exec)
			return nil
		}
		type output struct {
			path   string
			static bool
			line   int
		}
		var outs []output
		var builds, installs []string
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				dir := c.Dir
				if dir == "" {
					dir = s.Workdir
				}
				switch name := c.Name(); name {
				case "gcc", "g++", "cc", "c++", "clang", "clang++":
					out, static, ok := compilerOutput(c)
					if ok {
						outs = append(outs, output{Resolve(dir, out), static, s.In.StartLine})
					}
				case "make", "cmake", "ninja", "meson", "configure":
					what := fmt.Sprintf("line %d runs %s", s.In.StartLine, name)
					if contains(c.Args[1:], "install") || contains(c.Args[1:], "install-strip") || hasFlag(c.Args, "--install") {
						installs = append(installs, what+" install")
					} else {
						builds = append(builds, what)
					}
				}
			}
		}
		if len(outs) == 0 && len(builds) == 0 && len(installs) == 0 {
			u.Skip(u.Stage.From.StartLine, "no compiler, make or cmake command builds a program: nothing to carry into a runtime stage")
			return nil
		}
		exec := needs.Exec
		if exec == "" || strings.Contains(exec, "$") {
			u.Skip(u.Stage.From.StartLine, "the container's command is not known: cannot tell which program to carry")
			return nil
		}
		execPath := ""
		if strings.Contains(exec, "/") {
			execPath = Resolve(u.finalWorkdir(), exec)
		}
		for _, o := range outs {
			if execPath != o.path && !(execPath == "" && path.Base(o.path) == exec && runtimeOnPath(path.Dir(o.path))) {
				continue
			}
			if !o.static {
				u.Skip(o.line, "%s is linked dynamically by the gcc image's compiler, whose libstdc++ and libgcc_s in /usr/local/lib64 are newer than the Debian release's and whose other libraries (buildpack-deps) are not known: link it with -static for a rewrite", o.path)
				return nil
			}
			plan := &Plan{Ecosystem: "c", Static: true}
			u.Plan = plan
			u.Fact(o.line, "%s is linked with -static: it needs no library at run time", o.path)
			plan.Copies = append(plan.Copies, Copy{Src: o.path, Dst: o.path, Why: "the static binary built here", Line: o.line})
			u.copyReferencedFiles(needs, []goArtifact{{Path: o.path, Name: path.Base(o.path)}})
			rel := u.Base.Release
			if rel == "" {
				rel = "bookworm"
			}
			ref := "debian:" + rel + "-slim"
			plan.Runtime = ParseImage(ref, ref)
			u.Fact(u.Stage.From.StartLine, "runtime %s: a static binary needs no library of the builder's release", ref)
			return nil
		}
		switch {
		case len(installs) > 0:
			u.Skip(u.Stage.From.StartLine, "%s: what it puts under /usr/local (the program and its libraries) would need an ldconfig after the copy, and the gcc image's own libstdc++ in /usr/local/lib64; not planned", installs[0])
		case len(builds) > 0:
			u.Skip(u.Stage.From.StartLine, "%s: whether the program it builds is static, and which libraries of the gcc image it links, is not known offline", builds[0])
		default:
			u.Skip(needs.ExecLine, "the container runs %s, which no compiler command with -o writes", exec)
		}
		return nil
	},
}

// compilerOutput reads a compiler command that links a program: its -o
// file and whether -static makes it static.
func compilerOutput(c Command) (out string, static, ok bool) {
	args := c.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-c" || a == "-E" || a == "-S" || a == "-shared" || a == "-M" || a == "-MM":
			return "", false, false // no program is linked
		case a == "-o" && i+1 < len(args):
			out = args[i+1]
			i++
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			out = a[2:]
		case a == "-static":
			static = true
		}
	}
	if out == "" || strings.ContainsAny(out, "$`") {
		return "", false, false
	}
	return out, static, true
}

func init() {
	familyNames["gcc"] = "gcc"
	// The official gcc image: buildpack-deps with GPG_KEYS, GCC_MIRRORS and
	// GCC_VERSION set, and debian's CMD. GPG_KEYS and GCC_MIRRORS are left
	// out: no Dockerfile sets them and the runtime never needs them.
	familyConfigs["gcc"] = func(im Image) BaseConfig {
		return BaseConfig{Env: []string{stdPath, "GCC_VERSION=" + im.Version}, Cmd: []string{"bash"}}
	}
}
