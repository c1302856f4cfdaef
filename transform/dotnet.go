package transform

import (
	"encoding/xml"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

var passDotnet = &Pass{
	Name: "dotnet",
	Doc: `Plans the split of a .NET image built with dotnet publish.
dotnet publish -o DIR writes the app to DIR, which the runtime receives at the same path, so the
ENTRYPOINT (dotnet App.dll, or the app host) is kept as it is. The runtime is
mcr.microsoft.com/dotnet/aspnet of the SDK's major.minor and OS variant (core/aspnet for .NET Core
2.1-3.1; microsoft/dotnet:X.Y-aspnetcore-runtime for the deprecated Docker Hub tags), or runtime when
the project files in the build context prove a console app (Sdk="Microsoft.NET.Sdk" or .Worker, no
ASP.NET Core reference in the project or the projects it references). Without that proof aspnet is
used: it contains the .NET runtime too. A self-contained publish (--self-contained, --sc,
-p:SelfContained=true, or -r alone up to the .NET 7 SDK) whose app host the container runs gets
runtime-deps instead: the app carries the runtime. SDK tags without a version (latest, sdk), a run-time
command that needs the SDK (dotnet run, watch, test), a publish without -o whose output the command
does not name, and a runtime identifier whose libc differs from the runtime image are skipped. The
SDK images of .NET 5-7 set ASPNETCORE_URLS= (Kestrel on localhost:5000) while aspnet sets
http://+:80: when the Dockerfile does not choose the URLs, the runtime stage sets the SDK's value
again (ENV ASPNETCORE_URLS=). The .NET Core 3.x SDK leaves it unset, which a runtime stage cannot
restore: a warning says the address changes. mono
images are skipped: mono:X-slim has only mono-runtime, not the class libraries mono:X brings.
An entrypoint script of the build context that ends in exec "$@" runs the CMD after it, which names
the app. libc6-dev installed with libgdiplus stays in the runtime: System.Drawing loads the
unversioned libdl.so, which only libc6-dev has before glibc 2.34.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"dotnet-sdk", "dotnet-legacy", "mono"},
	Run:      func(u *Unit) error { u.planDotnet(); return nil },
}

// dotnetPublish is one dotnet publish command.
type dotnetPublish struct {
	Dir     string // working directory
	Project string // the project argument ("" for the directory's)
	Output  string // absolute, "" without -o
	RID     string
	// SelfContained is "true" or "false" when the command says
	// (--self-contained [true|false], --sc, --no-self-contained,
	// -p:SelfContained=...), else "".
	SelfContained string
	Framework     string // -f, the target framework moniker
	Line          int
}

var dotnetSDKTools = map[string]bool{"run": true, "watch": true, "test": true, "build": true, "restore": true, "publish": true, "ef": true, "tool": true, "new": true, "msbuild": true, "pack": true}

// dotnetVersion is what an SDK tag says: the major.minor of the runtime and
// the OS variant.
type dotnetVersion struct {
	Major, Minor int
	Variant      string // "", "bookworm-slim", "alpine", "jammy" ...
}

var (
	dotnetTagRe       = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.\d+)?(?:-(.*))?$`)
	dotnetLegacyTagRe = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.\d+)?-sdk(?:-(.*))?$`)
)

func (u *Unit) planDotnet() {
	if u.Base.Family == "mono" {
		u.skipMono()
		return
	}
	from := u.Stage.From.StartLine
	b := u.Base
	// What the container runs comes first: a command that needs the SDK
	// rules out any split, whatever the tag.
	cmds, line, _, why := u.runCommands()
	if why != "" {
		u.Skip(line, "%s", why)
		return
	}
	entry, why := dotnetEntry(cmds)
	// An entrypoint script of the build context: the dotnet command it
	// runs names the app, and the script goes along.
	script := ""
	inner := u.scriptCommands(cmds)
	for _, c := range inner {
		// An entrypoint script that runs dotnet ef database update before
		// exec "$@": the SDK must stay, whatever the CMD runs.
		if a := stripWrappers(c.Args); len(a) > 1 && path.Base(a[0]) == "dotnet" && dotnetSDKTools[a[1]] {
			u.Skip(line, "the container's script runs dotnet %s at run time: it needs the .NET SDK, which stays in the builder", a[1])
			return
		}
	}
	if len(inner) > 0 {
		if e, w := dotnetEntry(inner); w == "" {
			for _, c := range cmds {
				if a := stripWrappers(c.Args); len(a) > 0 && strings.Contains(a[0], "/") {
					if _, ok := u.contextFileFor(Resolve(c.Dir, a[0])); ok {
						script = Resolve(c.Dir, a[0])
						break
					}
				}
			}
			if script != "" {
				entry, why = e, ""
				u.Fact(line, "the container's script %s runs %s", script, e)
			}
		}
	}
	if why != "" {
		// ENTRYPOINT ["docker-entrypoint.sh"] CMD ["dotnet", "App.dll"]: a
		// script of the build context that ends in exec "$@" runs the
		// command after it.
		for _, c := range cmds {
			a := stripWrappers(c.Args)
			if len(a) == 0 {
				continue // tini -- alone
			}
			if n := path.Base(a[0]); len(a) > 2 && (n == "sh" || n == "bash") && !strings.HasPrefix(a[1], "-") {
				a = a[1:] // bash /usr/local/bin/docker-entrypoint.sh dotnet App.dll
			}
			if len(a) < 2 {
				continue
			}
			rel, ok := u.contextScriptFile(c.Dir, a[0])
			if !ok {
				break
			}
			data, err := fs.ReadFile(u.Context.FS, rel)
			if err != nil || !execArgsRe.Match(data) {
				break
			}
			if e, w := dotnetEntry([]Command{{Args: a[1:], Dir: c.Dir, Env: c.Env}}); w == "" {
				entry, why = e, ""
				if strings.Contains(a[0], "/") {
					script = Resolve(c.Dir, a[0]) // ./entrypoint.sh in the source tree
				}
				u.Fact(line, "the container's script %s runs its arguments (exec \"$@\"): %s", a[0], e)
			}
			break
		}
	}
	if why != "" {
		u.Skip(line, "%s", why)
		return
	}
	v, why := dotnetSDKVersion(b)
	if why != "" {
		u.Skip(from, "%s", why)
		return
	}
	pubs := u.dotnetPublishes()
	if len(pubs) == 0 {
		u.Skip(from, "no dotnet publish: the build output is not a deployable app (add dotnet publish -c Release -o DIR)")
		return
	}
	var pub *dotnetPublish
	var dir string
	for i := range pubs {
		p := &pubs[i]
		u.Fact(p.Line, "dotnet publish writes %s", orWhat(p.Output, "to bin/<configuration>/<framework>/publish (no -o)"))
		switch {
		case p.Output != "" && (strings.HasPrefix(entry, strings.TrimSuffix(p.Output, "/")+"/")):
			pub, dir = p, p.Output
		case p.Output == "" && strings.Contains(entry, "/publish/"):
			pub, dir = p, entry[:strings.LastIndex(entry, "/publish/")+len("/publish")]
		}
	}
	if pub == nil {
		u.Skip(line, "the container runs %s, which no dotnet publish -o writes: cannot tell which output it needs", entry)
		return
	}
	sdkV := v
	if tv, tfm := u.dotnetTargetVersion(pub); tfm != "" && (tv.Major < v.Major || tv.Major == v.Major && tv.Minor < v.Minor) {
		// An older target framework on a newer SDK: a framework-dependent
		// app needs that runtime (no roll-forward across majors).
		switch {
		case b.Family == "dotnet-legacy":
			u.Skip(pub.Line, "the project targets %s on the SDK %s: the deprecated microsoft/dotnet runtime tags are not mapped", tfm, b.Expanded)
			return
		case !dotnetOldVariant(tv, v.Variant):
			u.Skip(pub.Line, "the project targets %s on the SDK %s: .NET %d.%d had no %s images", tfm, b.Expanded, tv.Major, tv.Minor, v.Variant)
			return
		}
		if strings.HasPrefix(v.Variant, "alpine3") {
			// The older version's own alpine: its floating tag (musl
			// programs run on a newer alpine, not the other way round).
			v.Variant = "alpine"
		}
		u.Fact(pub.Line, "the project targets %s: the runtime is .NET %d.%d, not the SDK's %d.%d", tfm, tv.Major, tv.Minor, v.Major, v.Minor)
		sdkV = v
		tv.Variant = v.Variant
		v = tv
	}
	web, how := u.dotnetWeb(pub)
	rt, why := dotnetRuntime(b, v, web)
	if why != "" {
		u.Skip(from, "%s", why)
		return
	}
	if why := dotnetRIDProblem(pub.RID, rt); why != "" {
		u.Skip(pub.Line, "%s", why)
		return
	}
	kind := "aspnet"
	if !web {
		kind = "runtime"
	}
	sc, scWhy := u.dotnetSelfContained(pub, v)
	if deps, ok := dotnetRuntimeDeps(rt, sc, entry); ok {
		rt, kind = deps, "runtime-deps"
		how = fmt.Sprintf("%s: the app brings its own runtime, and the container runs its app host %s", scWhy, entry)
	}
	plan := &Plan{Ecosystem: "dotnet", Runtime: rt}
	u.Plan = plan
	u.Fact(from, "runtime %s: the .NET %d.%d %s image, same OS variant (%s)", rt.Ref, v.Major, v.Minor, kind, how)
	plan.Copies = append(plan.Copies, Copy{Src: dir, Dst: dir, Line: pub.Line,
		Why: fmt.Sprintf("the published app, which the command runs from (%s)", entry)})
	if script != "" {
		plan.Copies = append(plan.Copies, Copy{Src: script, Dst: script, Line: line,
			Why: "the script the container runs, from the build context"})
	}
	u.dotnetContentRoot(plan, dir)
	if web && !u.dotnetSetsURLs(cmds) {
		u.restateDotnetURLs(plan, rt, sdkV, line)
	}
	u.keepDotnetICU(plan, rt, v, line)
}

var alpineMinorRe = regexp.MustCompile(`alpine3\.(\d+)`)

// invariantRe finds a project that runs in invariant globalization mode.
var invariantRe = regexp.MustCompile(`(?i)<InvariantGlobalization>\s*true\s*</InvariantGlobalization>`)

// keepDotnetICU keeps culture data on alpine: the alpine SDK image installs
// ICU and sets DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=false, the alpine
// runtime images have no ICU and set it to true, so the app would lose its
// cultures (or abort, when its runtimeconfig asks for ICU). The runtime
// installs ICU and sets the SDK's value again, unless a project of the
// build context asks for invariant mode.
func (u *Unit) keepDotnetICU(plan *Plan, rt Image, v dotnetVersion, line int) {
	if u.Base.Libc != "musl" || rt.Libc != "musl" {
		return
	}
	for _, s := range u.Steps {
		if c, ok := s.In.Command.(*instructions.EnvCommand); ok {
			for _, kv := range c.Env {
				if strings.EqualFold(kv.Key, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT") {
					return // the Dockerfile chooses, and the split restates it
				}
			}
		}
	}
	if u.Context != nil {
		invariant := false
		_ = fs.WalkDir(u.Context.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || invariant {
				return nil
			}
			if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "obj" || d.Name() == "node_modules") {
				return fs.SkipDir
			}
			if strings.HasSuffix(p, "proj") || path.Base(p) == "Directory.Build.props" {
				if b, err := fs.ReadFile(u.Context.FS, p); err == nil && invariantRe.Match(b) {
					invariant = true
				}
			}
			return nil
		})
		if invariant {
			u.Fact(line, "the project asks for invariant globalization: no ICU in the runtime")
			return
		}
	}
	why := fmt.Sprintf("the alpine SDK image %s has ICU and sets DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=false; %s has neither: the app keeps its cultures", u.Base.Expanded, rt.Ref)
	plan.Packages = append(plan.Packages, Package{Name: "icu-libs", Why: why, Line: line})
	// Alpine 3.16 split the locale data out of icu-libs into
	// icu-data-full, which the SDK images install with it (dotnet-docker
	// src/sdk/6.0/alpine3.16 and later); a tag without the alpine version
	// follows the newest.
	if m := alpineMinorRe.FindStringSubmatch(rt.Tag); m == nil || len(m[1]) > 1 && m[1] >= "16" {
		plan.Packages = append(plan.Packages, Package{Name: "icu-data-full", Why: "the SDK image's full ICU data (every culture, not only en-US)", Line: line})
	}
	plan.RuntimeRuns = append(plan.RuntimeRuns, Gen{In: u.File.New("ENV", "ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=false"), Why: why, Line: line})
}

// dotnetURLKeys are the variables of the .NET images that choose where
// Kestrel listens.
var dotnetURLKeys = []string{"ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS"}

// restateDotnetURLs keeps the listening address of an app whose Dockerfile
// does not choose it. The SDK images of .NET 5-7 set ASPNETCORE_URLS= (empty:
// Kestrel then listens on localhost:5000) over the http://+:80 of the
// aspnet image they are built on; the runtime stage sets the SDK's value
// again, so the app listens where it did. .NET 8 and later images all
// set ASPNETCORE_HTTP_PORTS=8080: nothing differs. The .NET Core 3.x SDK
// does not set ASPNETCORE_URLS at all, and a Dockerfile cannot unset the
// runtime's: that is only warned about.
func (u *Unit) restateDotnetURLs(plan *Plan, rt Image, v dotnetVersion, line int) {
	sdk, rtc := dotnetBaseConfig(u.Base), dotnetBaseConfig(rt)
	for _, k := range dotnetURLKeys {
		sv, inSDK := envValue(sdk.Env, k)
		rv, inRT := envValue(rtc.Env, k)
		switch {
		case inSDK == inRT && sv == rv:
			continue
		case !inSDK:
			u.Warn(line, "the .NET %d.%d SDK image does not set %s (Kestrel then listens on localhost:5000 only); %s sets %s, which a Dockerfile cannot unset: unless the app chooses its own URLs, it now listens there", v.Major, v.Minor, k, rt.Ref, describeURLs(k, rv))
			continue
		case !inRT:
			continue // a key of newer images only; the other one decides
		}
		why := fmt.Sprintf("the SDK image %s sets %s and the Dockerfile chooses no address; %s sets %s: the runtime stage sets the SDK's value again, so the app listens where it did", u.Base.Expanded, describeURLs(k, sv), rt.Ref, describeURLs(k, rv))
		val := quoteValue(sv)
		if sv == "" {
			val = "" // as the SDK's Dockerfile writes it
		}
		plan.RuntimeRuns = append(plan.RuntimeRuns, Gen{In: u.File.New("ENV", "ENV "+k+"="+val), Why: why, Line: line})
	}
}

// describeURLs says where Kestrel listens for a value of ASPNETCORE_URLS
// or ASPNETCORE_HTTP_PORTS.
func describeURLs(k, v string) string {
	switch {
	case v == "":
		return k + "= (empty: Kestrel listens on localhost:5000 only)"
	case k == "ASPNETCORE_HTTP_PORTS":
		return k + "=" + v + " (port " + v + " of every interface)"
	}
	return k + "=" + v
}

func envValue(env []string, k string) (string, bool) {
	for _, kv := range env {
		if key, v, ok := strings.Cut(kv, "="); ok && key == k {
			return v, true
		}
	}
	return "", false
}

// skipMono explains why a mono image stays single-stage. mono:X-slim,
// the only smaller sibling, installs mono-runtime alone; mono:X adds
// mono-devel, which brings the class libraries (libmono-*-cil) and
// ca-certificates-mono (mono/docker). Which of those an app loads cannot
// be read from the Dockerfile, and a missing one fails at run time.
func (u *Unit) skipMono() {
	cmds, line, _, why := u.runCommands()
	if why == "" {
		for _, c := range cmds {
			args := stripWrappers(c.Args)
			if len(args) > 0 && monoSDKTools[path.Base(args[0])] {
				u.Skip(line, "the container runs %s at run time: it needs mono's build tools", path.Base(args[0]))
				return
			}
		}
	}
	slim := "mono:slim"
	if u.Base.Tag != "" && u.Base.Tag != "latest" {
		slim = "mono:" + u.Base.Tag + "-slim"
	}
	if strings.Contains(u.Base.Tag, "slim") {
		u.Skip(u.Stage.From.StartLine, "%s is already mono's slim image", u.Base.Expanded)
		return
	}
	u.Skip(u.Stage.From.StartLine, "%s has only mono-runtime: the class libraries (libmono-*-cil) and ca-certificates-mono that mono-devel brings to %s may be loaded at run time, and which ones this app needs cannot be told from the Dockerfile", slim, u.Base.Expanded)
}

var monoSDKTools = map[string]bool{"xbuild": true, "msbuild": true, "mcs": true, "csc": true, "nuget": true, "fsharpc": true}

func orWhat(s, what string) string {
	if s == "" {
		return what
	}
	return s
}

// dotnetSDKVersion reads the .NET version and OS variant of an SDK tag.
func dotnetSDKVersion(b Image) (v dotnetVersion, why string) {
	tag := strings.ToLower(b.Tag)
	re := dotnetTagRe
	if b.Family == "dotnet-legacy" {
		re = dotnetLegacyTagRe
	}
	m := re.FindStringSubmatch(tag)
	if m == nil {
		if b.Family == "dotnet-legacy" && !strings.Contains(tag, "sdk") && tag != "latest" && tag != "" {
			return v, fmt.Sprintf("%s is not an SDK image: nothing is built in it", b.Expanded)
		}
		return v, fmt.Sprintf("%s names no .NET version (%q follows the newest SDK; microsoft/dotnet is deprecated for mcr.microsoft.com/dotnet/sdk): the runtime image must match the SDK's major.minor, so pin it (e.g. mcr.microsoft.com/dotnet/sdk:8.0)", b.Expanded, orLatest(b.Tag))
	}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Variant = m[3]
	if strings.Contains(v.Variant, "nanoserver") || strings.Contains(v.Variant, "windowsservercore") {
		return v, fmt.Sprintf("%s is a Windows image: this pass plans Linux runtimes only", b.Expanded)
	}
	return v, ""
}

// dotnetRuntime maps the SDK to the aspnet (web) or runtime image of the
// same version and OS: the SDK's Debian variants are full images, the
// runtime's are -slim ones of the same release.
func dotnetRuntime(b Image, v dotnetVersion, web bool) (Image, string) {
	variant := v.Variant
	for _, rel := range []string{"stretch", "buster", "bullseye", "bookworm", "trixie"} {
		if variant == rel || strings.HasPrefix(variant, rel+"-") && !strings.HasPrefix(variant, rel+"-slim") {
			variant = rel + "-slim" + strings.TrimPrefix(variant, rel)
		}
	}
	ver := fmt.Sprintf("%d.%d", v.Major, v.Minor)
	tag := ver
	if variant != "" {
		tag += "-" + variant
	}
	var ref string
	switch {
	case b.Family == "dotnet-legacy":
		if v.Major < 2 || v.Major == 2 && v.Minor == 0 {
			if web {
				return Image{}, fmt.Sprintf("ASP.NET Core %s ran on the microsoft/aspnetcore images, which this pass does not map", ver)
			}
			ref = "microsoft/dotnet:" + ver + "-runtime"
		} else {
			kind := "-runtime"
			if web {
				kind = "-aspnetcore-runtime"
			}
			if variant != "" && variant != "alpine" {
				return Image{}, fmt.Sprintf("microsoft/dotnet:%s: the variant %q has no known runtime tag", b.Tag, variant)
			}
			ref = "microsoft/dotnet:" + ver + kind
			if variant != "" {
				ref += "-" + variant
			}
		}
	case v.Major < 5:
		kind := "runtime"
		if web {
			kind = "aspnet"
		}
		if v.Major < 2 || v.Major == 2 && v.Minor == 0 {
			return Image{}, fmt.Sprintf(".NET Core %s has no image on mcr.microsoft.com/dotnet/core", ver)
		}
		ref = "mcr.microsoft.com/dotnet/core/" + kind + ":" + tag
	default:
		kind := "runtime"
		if web {
			kind = "aspnet"
		}
		ref = "mcr.microsoft.com/dotnet/" + kind + ":" + tag
	}
	return ParseImage(ref, ref), ""
}

// dotnetOldVariants are the OS variants the runtime images of older .NET
// versions were published for (dotnet-docker's manifests): 3.1 ended
// before bookworm, 5.0 and 6.0 before noble, and so on.
var dotnetOldVariants = map[string][]string{
	"2.1": {"stretch-slim", "buster-slim", "bionic", "focal"},
	"3.1": {"buster-slim", "bullseye-slim", "bionic", "focal"},
	"5.0": {"buster-slim", "bullseye-slim", "focal"},
	"6.0": {"bullseye-slim", "bookworm-slim", "focal", "jammy"},
	"7.0": {"bullseye-slim", "bookworm-slim", "jammy"},
}

// dotnetOldVariant reports whether .NET tv had runtime images of the SDK
// tag's variant: none (the default), alpine (floating), or a known one.
func dotnetOldVariant(tv dotnetVersion, variant string) bool {
	if variant == "" || variant == "alpine" || strings.HasPrefix(variant, "alpine3") {
		return true
	}
	return slices.Contains(dotnetOldVariants[fmt.Sprintf("%d.%d", tv.Major, tv.Minor)], variant)
}

var targetFrameworkRe = regexp.MustCompile(`(?i)<TargetFramework>\s*(net(?:coreapp)?(\d+)\.(\d+))[^<]*</TargetFramework>`)

// dotnetTargetVersion is the .NET version the published project targets:
// publish -f, else the project's TargetFramework, else one set in a
// Directory.Build.props above it; tfm is "" when not known.
func (u *Unit) dotnetTargetVersion(p *dotnetPublish) (v dotnetVersion, tfm string) {
	read := func(text string) bool {
		if m := targetFrameworkRe.FindStringSubmatch(text); m != nil {
			v.Major, _ = strconv.Atoi(m[2])
			v.Minor, _ = strconv.Atoi(m[3])
			tfm = m[1]
			return true
		}
		return false
	}
	if p.Framework != "" {
		read("<TargetFramework>" + p.Framework + "</TargetFramework>")
		return v, tfm
	}
	file, why := u.dotnetProjectFile(p)
	if why != "" {
		return v, ""
	}
	if b, err := fs.ReadFile(u.Context.FS, file); err == nil && read(string(b)) {
		return v, tfm
	}
	for _, dir := range dirsAbove(file) {
		if b, err := fs.ReadFile(u.Context.FS, path.Join(dir, "Directory.Build.props")); err == nil && read(string(b)) {
			return v, tfm
		}
	}
	return v, ""
}

// dirsAbove lists the directories of the build context from a project
// file's own up to the root, where MSBuild looks for Directory.Build.props.
func dirsAbove(file string) []string {
	var out []string
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		out = append(out, dir)
		if dir == "." || dir == "/" {
			return out
		}
	}
}

// dotnetProjectFile finds the project file a publish builds in the build
// context; why says why it cannot be told.
func (u *Unit) dotnetProjectFile(p *dotnetPublish) (file, why string) {
	if u.Context == nil {
		return "", "no build context"
	}
	proj := p.Dir
	if p.Project != "" {
		proj = Resolve(p.Dir, p.Project)
	}
	ctx, ok := u.contextPath(proj)
	if !ok {
		return "", fmt.Sprintf("%s is not in the build context", proj)
	}
	if !strings.HasSuffix(ctx, "proj") {
		entries, _ := fs.ReadDir(u.Context.FS, ctx)
		var found []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".csproj") || strings.HasSuffix(e.Name(), ".fsproj") || strings.HasSuffix(e.Name(), ".vbproj") {
				found = append(found, path.Join(ctx, e.Name()))
			}
		}
		if len(found) != 1 {
			return "", fmt.Sprintf("%d project files in %s", len(found), orDot(ctx))
		}
		ctx = found[0]
	}
	return ctx, ""
}

var (
	selfContainedRe = regexp.MustCompile(`(?i)<SelfContained[^>]*>\s*([^<]*?)\s*</SelfContained>`)
	projectRIDRe    = regexp.MustCompile(`(?i)<RuntimeIdentifiers?[^>]*>\s*[^<$]`)
)

// dotnetSelfContained decides whether a publish bundles the .NET runtime.
// The command line outranks the project (its properties are global); else
// the project file and the Directory.Build.props/.targets above it must be
// read: a SelfContained they set decides, and without one a RID means
// self-contained up to the .NET 7 SDK (NETSDK1179), framework-dependent
// from .NET 8. Without the project, only the command line counts.
func (u *Unit) dotnetSelfContained(p *dotnetPublish, v dotnetVersion) (bool, string) {
	switch p.SelfContained {
	case "true":
		return true, fmt.Sprintf("line %d publishes self-contained", p.Line)
	case "false":
		return false, ""
	}
	file, why := u.dotnetProjectFile(p)
	if why != "" {
		return false, ""
	}
	var text []byte
	for _, dir := range dirsAbove(file) {
		for _, f := range []string{"Directory.Build.props", "Directory.Build.targets"} {
			if b, err := fs.ReadFile(u.Context.FS, path.Join(dir, f)); err == nil {
				text = append(text, b...)
			}
		}
	}
	b, err := fs.ReadFile(u.Context.FS, file)
	if err != nil {
		return false, ""
	}
	text = append(text, b...)
	if ms := selfContainedRe.FindAllSubmatch(text, -1); len(ms) > 0 {
		val := strings.ToLower(string(ms[len(ms)-1][1]))
		if val == "true" && (p.RID != "" || projectRIDRe.Match(text)) {
			return true, fmt.Sprintf("%s sets SelfContained", file)
		}
		return false, ""
	}
	if p.RID != "" && !strings.Contains(p.RID, "$") && v.Major < 8 {
		return true, fmt.Sprintf("line %d publishes for %s, self-contained by default before .NET 8, and %s does not say otherwise", p.Line, p.RID, file)
	}
	return false, ""
}

// dotnetRuntimeDeps gives a self-contained publish, run by its app host,
// the runtime-deps image of the aspnet or runtime image rt: the app
// carries the .NET runtime and ASP.NET Core, so it needs only the OS
// libraries (and on Debian and Ubuntu ICU, which runtime-deps has). The
// Docker Hub microsoft/dotnet tags are left on rt.
func dotnetRuntimeDeps(rt Image, selfContained bool, entry string) (Image, bool) {
	if !selfContained || strings.HasSuffix(entry, ".dll") {
		return Image{}, false
	}
	for _, kind := range []string{"/aspnet:", "/runtime:"} {
		if i := strings.Index(rt.Ref, kind); i >= 0 && strings.HasPrefix(rt.Ref, "mcr.microsoft.com/dotnet/") {
			ref := rt.Ref[:i] + "/runtime-deps:" + rt.Ref[i+len(kind):]
			return ParseImage(ref, ref), true
		}
	}
	return Image{}, false
}

// dotnetRIDProblem refuses a self-contained or RID-specific publish for
// another libc than the runtime image's.
func dotnetRIDProblem(rid string, rt Image) string {
	if rid == "" || strings.Contains(rid, "$") {
		return ""
	}
	musl := strings.Contains(rid, "musl") || strings.HasPrefix(rid, "alpine")
	switch {
	case !strings.HasPrefix(rid, "linux") && !strings.HasPrefix(rid, "alpine"):
		return fmt.Sprintf("dotnet publish -r %s builds for another OS than the Linux runtime image", rid)
	case musl && rt.Libc != "musl":
		return fmt.Sprintf("dotnet publish -r %s builds for musl, and %s is glibc", rid, rt.Ref)
	case !musl && rt.Libc == "musl":
		return fmt.Sprintf("dotnet publish -r %s builds for glibc, and %s is alpine (musl)", rid, rt.Ref)
	}
	return ""
}

// dotnetEntry finds what the container runs: dotnet App.dll, or an app
// host by path. why says when it needs the SDK or cannot be told.
func dotnetEntry(cmds []Command) (entry, why string) {
	for _, c := range cmds {
		args := stripWrappers(c.Args)
		if len(args) == 0 {
			continue
		}
		switch {
		case path.Base(args[0]) == "dotnet":
			if len(args) < 2 {
				return "", "the container runs dotnet without an app"
			}
			a := args[1]
			if dotnetSDKTools[a] {
				return "", fmt.Sprintf("the container runs dotnet %s at run time: it needs the .NET SDK, which stays in the builder", a)
			}
			if strings.HasSuffix(a, ".dll") {
				if strings.ContainsAny(a, "$`*?[") {
					return "", fmt.Sprintf("the app %s depends on a variable or a pattern", a)
				}
				return Resolve(c.Dir, a), ""
			}
			return "", fmt.Sprintf("the container runs dotnet %s: not an app's .dll", a)
		case strings.Contains(args[0], "/") && !strings.ContainsAny(args[0], "$`") && !strings.HasSuffix(args[0], ".sh"):
			return Resolve(c.Dir, args[0]), ""
		}
	}
	return "", "the container runs neither dotnet App.dll nor a published app host: cannot tell which output it needs"
}

// dotnetPublishes lists the dotnet publish commands of the builder.
func (u *Unit) dotnetPublishes() []dotnetPublish {
	var out []dotnetPublish
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "dotnet" || len(c.Args) < 2 || c.Args[1] != "publish" {
				continue
			}
			dir := c.Dir
			if dir == "" {
				dir = s.Workdir
			}
			p := dotnetPublish{Dir: normDir(dir), Line: s.In.StartLine}
			args := expandedArgs(s, c).Args[2:] // -o ${APP_HOME}
			for i := 0; i < len(args); i++ {
				a := args[i]
				name, val, hasVal := strings.Cut(a, "=")
				if !hasVal && strings.HasPrefix(a, "-") && strings.Contains(a, ":") && !strings.HasPrefix(a, "-p:") && !strings.HasPrefix(a, "/p:") {
					name, val, hasVal = strings.Cut(a, ":")
				}
				switch name {
				case "-o", "--output", "-r", "--runtime", "-c", "--configuration", "-f", "--framework", "--os", "-a", "--arch", "-v", "--verbosity", "--version-suffix", "-s", "--source":
					if !hasVal && i+1 < len(args) {
						i++
						val = args[i]
					}
					switch name {
					case "-o", "--output":
						p.Output = Resolve(p.Dir, val)
					case "-r", "--runtime":
						p.RID = val
					case "-f", "--framework":
						p.Framework = val
					}
				case "--self-contained", "--sc":
					// An optional true/false value follows.
					p.SelfContained = "true"
					if hasVal {
						p.SelfContained = strings.ToLower(val)
					} else if i+1 < len(args) && (strings.EqualFold(args[i+1], "true") || strings.EqualFold(args[i+1], "false")) {
						i++
						p.SelfContained = strings.ToLower(args[i])
					}
				case "--no-self-contained":
					p.SelfContained = "false"
				default:
					if prop, v, ok := strings.Cut(strings.TrimLeft(a, "-/"), "="); ok && (strings.EqualFold(prop, "p:SelfContained") || strings.EqualFold(prop, "property:SelfContained")) {
						p.SelfContained = strings.ToLower(v)
					}
					if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "/") && p.Project == "" {
						p.Project = a
					}
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// dotnetContentRoot copies what ASP.NET Core reads from its content root,
// the working directory, when that is not the publish directory: the
// original ran in the directory the build context was copied into, so its
// appsettings*.json and wwwroot/ were there (appsettings.json is optional:
// without it the app starts silently on its defaults).
func (u *Unit) dotnetContentRoot(plan *Plan, publish string) {
	wd := normDir(u.finalWorkdir())
	if wd == "" || wd == publish || u.Context == nil {
		return
	}
	// COPY . . or COPY Project/. ./ into the working directory: its
	// directory of the build context.
	rel, ok := u.contextDirOf(wd, 1<<30)
	if !ok {
		return
	}
	entries, _ := fs.ReadDir(u.Context.FS, rel)
	for _, e := range entries {
		name := e.Name()
		if ok, _ := path.Match("appsettings*.json", name); ok && !e.IsDir() || name == "wwwroot" && e.IsDir() {
			plan.Copies = append(plan.Copies, Copy{Src: path.Join(wd, name), Dst: path.Join(wd, name), Line: 0,
				Why: fmt.Sprintf("ASP.NET Core reads %s from its content root, the working directory %s, where the original had it", name, wd)})
		}
	}
}

// dotnetSetsURLs reports whether the Dockerfile or the command chooses the
// addresses Kestrel listens on.
func (u *Unit) dotnetSetsURLs(cmds []Command) bool {
	for _, s := range u.Steps {
		if c, ok := s.In.Command.(*instructions.EnvCommand); ok {
			for _, kv := range c.Env {
				switch strings.ToUpper(kv.Key) {
				case "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "URLS", "HTTP_PORTS", "DOTNET_URLS":
					return true
				}
			}
		}
	}
	for _, c := range cmds {
		for _, a := range c.Args {
			if strings.HasPrefix(a, "--urls") || strings.HasPrefix(a, "--server.urls") {
				return true
			}
		}
	}
	return false
}

// csproj is the part of a project file that tells a web app from a
// console app.
type csproj struct {
	Sdk        string `xml:"Sdk,attr"`
	SdkElement []struct {
		Name string `xml:"Name,attr"`
	} `xml:"Sdk"`
	Items []struct {
		PackageReference []struct {
			Include string `xml:"Include,attr"`
		} `xml:"PackageReference"`
		FrameworkReference []struct {
			Include string `xml:"Include,attr"`
		} `xml:"FrameworkReference"`
		ProjectReference []struct {
			Include string `xml:"Include,attr"`
		} `xml:"ProjectReference"`
	} `xml:"ItemGroup"`
}

// dotnetWeb decides between aspnet and runtime from the project files in
// the build context; how says on what grounds. Anything short of proof of
// a console app gives aspnet, which contains the runtime too.
func (u *Unit) dotnetWeb(p *dotnetPublish) (web bool, how string) {
	if u.Context == nil {
		return true, "no build context to tell a console app from a web app: aspnet contains the .NET runtime too, so it is the safe default"
	}
	ctx, why := u.dotnetProjectFile(p)
	if why != "" {
		return true, why + ": aspnet, the safe default"
	}
	seen := map[string]bool{}
	var visit func(file string) (web bool, why string)
	visit = func(file string) (bool, string) {
		if seen[file] {
			return false, ""
		}
		seen[file] = true
		data, err := fs.ReadFile(u.Context.FS, file)
		if err != nil {
			return true, fmt.Sprintf("%s is not in the build context", file)
		}
		var pj csproj
		if err := xml.Unmarshal(data, &pj); err != nil {
			return true, fmt.Sprintf("%s does not parse", file)
		}
		sdks := []string{pj.Sdk}
		for _, s := range pj.SdkElement {
			sdks = append(sdks, s.Name)
		}
		for _, s := range sdks {
			s, _, _ = strings.Cut(s, "/")
			switch s {
			case "", "Microsoft.NET.Sdk", "Microsoft.NET.Sdk.Worker":
			default:
				return true, fmt.Sprintf("%s uses Sdk=%q", file, s)
			}
		}
		for _, ig := range pj.Items {
			for _, r := range ig.FrameworkReference {
				if strings.HasPrefix(r.Include, "Microsoft.AspNetCore") {
					return true, fmt.Sprintf("%s references %s", file, r.Include)
				}
			}
			for _, r := range ig.PackageReference {
				if strings.HasPrefix(r.Include, "Microsoft.AspNetCore") {
					return true, fmt.Sprintf("%s references %s", file, r.Include)
				}
			}
			for _, r := range ig.ProjectReference {
				ref := path.Clean(path.Join(path.Dir(file), strings.ReplaceAll(r.Include, `\`, "/")))
				if web, why := visit(ref); web {
					return true, why
				}
			}
		}
		return false, ""
	}
	if web, why := visit(ctx); web {
		return true, why + ": aspnet"
	}
	for _, f := range []string{"Directory.Build.props", "Directory.Build.targets"} {
		if _, err := fs.Stat(u.Context.FS, f); err == nil {
			return true, f + " may add references the project files do not show: aspnet, the safe default"
		}
	}
	return false, fmt.Sprintf("%s and the projects it references are console projects with no ASP.NET Core reference", ctx)
}

// Base configs of the .NET images, from dotnet/dotnet-docker's Dockerfiles:
// runtime-deps sets ASPNETCORE_URLS=http://+:80 up to .NET 7, and
// ASPNETCORE_HTTP_PORTS=8080 with APP_UID from .NET 8; the SDK images of
// .NET 5-7 are built on aspnet and clear ASPNETCORE_URLS, those of .NET
// Core 3.x never set it, those of 2.x and 8+ keep the runtime's. None sets
// an ENTRYPOINT, a CMD or a WORKDIR: the OS image's CMD is inherited.
func dotnetBaseConfig(im Image) BaseConfig {
	tag := strings.ToLower(im.Tag)
	sdk := im.Family == "dotnet-sdk" || im.Family == "dotnet-legacy" && (strings.Contains(tag, "sdk") || tag == "latest" || tag == "")
	aspnet := im.Family == "dotnet-aspnet" || im.Family == "dotnet-legacy" && strings.Contains(tag, "aspnetcore")
	major, _ := versionParts(strings.SplitN(tag, "-", 2)[0])
	if major == 0 {
		major = 8
	}
	env := []string{stdPath}
	if major >= 8 {
		env = append(env, "APP_UID=1654", "ASPNETCORE_HTTP_PORTS=8080", "DOTNET_RUNNING_IN_CONTAINER=true")
	} else {
		env = append(env, "ASPNETCORE_URLS=http://+:80", "DOTNET_RUNNING_IN_CONTAINER=true")
	}
	if sdk {
		env = append(env, "DOTNET_USE_POLLING_FILE_WATCHER=true", "NUGET_XMLDOC_MODE=skip")
		switch {
		case major == 3:
			env = dropEnv(env, "ASPNETCORE_URLS")
		case major >= 5 && major <= 7:
			env = append(dropEnv(env, "ASPNETCORE_URLS"), "ASPNETCORE_URLS=")
		}
		if major >= 3 {
			env = append(env, "DOTNET_GENERATE_ASPNET_CERTIFICATE=false")
		}
		if major >= 5 {
			env = append(env, "DOTNET_NOLOGO=true")
		}
	} else if aspnet && major >= 5 {
		env = append(env, "ASPNET_VERSION="+strings.SplitN(tag, "-", 2)[0])
	}
	if im.Libc == "musl" || strings.Contains(tag, "alpine") {
		// runtime-deps on alpine has no ICU; the SDK installs it.
		env = append(env, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="+strconv.FormatBool(!sdk))
	}
	c := BaseConfig{Env: env, Cmd: []string{"bash"}}
	switch {
	case im.Libc == "musl" || strings.Contains(tag, "alpine"):
		c.Cmd = []string{"/bin/sh"}
	case strings.Contains(tag, "chiseled"):
		c.Cmd = nil
	case strings.Contains(tag, "jammy") || strings.Contains(tag, "noble") || strings.Contains(tag, "focal") || strings.Contains(tag, "bionic") || major >= 10:
		c.Cmd = []string{"/bin/bash"} // Ubuntu; .NET 10's default tags are Ubuntu 24.04
	}
	return c
}

func dropEnv(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func init() {
	for name, fam := range map[string]string{
		"mcr.microsoft.com/dotnet/sdk":               "dotnet-sdk",
		"mcr.microsoft.com/dotnet/core/sdk":          "dotnet-sdk",
		"mcr.microsoft.com/dotnet/aspnet":            "dotnet-aspnet",
		"mcr.microsoft.com/dotnet/core/aspnet":       "dotnet-aspnet",
		"mcr.microsoft.com/dotnet/runtime":           "dotnet-runtime",
		"mcr.microsoft.com/dotnet/core/runtime":      "dotnet-runtime",
		"mcr.microsoft.com/dotnet/runtime-deps":      "dotnet-runtime-deps",
		"mcr.microsoft.com/dotnet/core/runtime-deps": "dotnet-runtime-deps",
		"microsoft/dotnet":                           "dotnet-legacy",
	} {
		familyNames[name] = fam
		familyConfigs[fam] = dotnetBaseConfig
	}
	familyNames["mono"] = "mono"
	familyConfigs["mono"] = func(im Image) BaseConfig {
		return BaseConfig{Env: []string{stdPath, "MONO_VERSION=" + im.Version}, Cmd: []string{"bash"}}
	}
}

// execArgsRe finds a script's exec of its arguments (exec "$@").
var execArgsRe = regexp.MustCompile(`(?m)^\s*exec\s+(\S+\s+)*"?\$(@|\{@\})"?\s*$`)
