package transform

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

var passJava = &Pass{
	Name: "java",
	Doc: `Plans the split of a Java image (Maven, Gradle, sbt, or javac and jar).
The runtime is the eclipse-temurin JRE of the builder's Java major, read from the tag (maven:3-openjdk-17,
gradle:8.7.0-jdk21, eclipse-temurin:17-jdk, openjdk:8...), on the same OS: alpine stays alpine, an Ubuntu
release is kept (or the next newer one the JRE has), other glibc builders get the default JRE tag. Majors
without a JRE image, JRE builders, OpenJ9 and GraalVM builders are skipped. What to copy comes from the
command the container runs: java -jar X (a jar at the top of target/, sbt's target/scala-<version>/ or
build/libs/ alone; a shell glob
such as build/libs/*.jar is copied as the same glob, so it matches the same files), -cp and module path
entries, a script in a distribution directory (target/server/bin/standalone.sh brings target/server;
installDist's build/install/<name>, sbt stage's target/universal/stage), files a RUN wrote (cp, jar cf, javac -d), and files from the build
context the command names. With the build context, pom.xml (encoding/xml: finalName, artifactId,
version inherited from the parent, packaging, properties and -D definitions) names the artifact and its
bundling plugin (Spring Boot, shade, assembly) or manifest Class-Path directory; Gradle's scripts show
the Spring Boot plugin, whose *-plain.jar a build/libs/*.jar glob also matches (when a task runs jar:
build or assemble do, bootJar alone does not). A container that runs
Maven, Gradle or the JDK at run time (spring-boot:run, bootRun, jshell) is skipped. The maven image's
mvn-entrypoint.sh and eclipse-temurin's __cacert_entrypoint.sh are wrappers that end in exec "$@": when
the Dockerfile sets no ENTRYPOINT, one may replace the other (transparentEntrypoints). The command's
$VARIABLES take the values the Dockerfile's ENV and ARG give them (java -jar target/$VERTICLE_FILE).
An Ant, Leiningen, Bazel or kotlinc build is a skip that says so.`,
	Requires: []*Pass{passSteps, passContext},
	Families: []string{"maven", "gradle", "openjdk", "eclipse-temurin", "amazoncorretto", "sbt"},
	Run:      func(u *Unit) error { u.planJava(); return nil },
}

// transparentEntrypoints are base-image entrypoint scripts that do set-up
// and then run their arguments with exec "$@" (carlossg/docker-maven's
// mvn-entrypoint.sh copies settings into ~/.m2; adoptium/containers'
// entrypoint.sh imports CA certificates when USE_SYSTEM_CA_CERTS is set).
// Inherited from the base, one may stand for another, or for none, without
// changing what the container runs.
var transparentEntrypoints = map[string]bool{mavenEntrypoint: true, cacertEntrypoint: true}

// transparentEntrypointSwap reports whether the two final images differ in
// Entrypoint only by base-image wrappers: each side's Entrypoint is the one
// its base image set (the Dockerfile set none) and is empty or a
// transparent wrapper. An ENTRYPOINT the Dockerfile sets compares strictly.
func transparentEntrypointSwap(a, b *Converted) bool {
	inherited := func(c *Converted) bool {
		ep := c.Image.Config.Entrypoint
		if !sameWords(ep, c.Base.Entrypoint) {
			return false
		}
		return len(ep) == 0 || len(ep) == 1 && transparentEntrypoints[ep[0]]
	}
	return inherited(a) && inherited(b)
}

// javaRunTools need the build toolchain when the container runs them.
var javaRunTools = map[string]string{
	"mvn": "Maven", "mvnw": "Maven", "gradle": "Gradle", "gradlew": "Gradle", "javac": "the JDK",
	"jshell": "the JDK", "sbt": "sbt", "lein": "Leiningen", "jar": "the JDK",
}

// javaRef is a path the run-time command needs, with what names it.
type javaRef struct {
	Path string // absolute
	What string // "the jar", "a class path entry", ...
	Word string // as written
	// Artifact is set for what the program is (the jar, the class path, the
	// script): one of these must come from the build.
	Artifact bool
	Glob     bool
	// Wildcard is a class path entry dir/*: the JVM skips it when the
	// directory is missing.
	Wildcard bool
}

func (u *Unit) planJava() {
	from := u.Stage.From.StartLine
	needs := u.runtimeNeeds()
	if needs.Toolchain != 0 {
		u.Skip(needs.Toolchain, "the container runs %q at run time: it needs the build toolchain", needs.ToolchainWhat)
		return
	}
	builds := u.javaBuilds()
	jdk, why := javaBuilderJDK(u.Base)
	if len(builds) == 0 {
		for _, s := range u.Steps {
			for _, c := range s.Commands {
				if c.Name() == "ant" || c.Name() == "lein" || c.Name() == "bazel" || c.Name() == "kotlinc" {
					u.Skip(s.In.StartLine, "line %d builds with %s, whose outputs are not followed (Maven, Gradle, sbt and javac are)", s.In.StartLine, c.Name())
					return
				}
			}
		}
		what := ""
		if jdk.JRE {
			what = fmt.Sprintf(" (%s is already a JRE image)", u.Base.Expanded)
		}
		u.Skip(from, "no Maven, Gradle, sbt or javac build runs here: the jar comes from outside the image, nothing to split off%s", what)
		return
	}
	if why != "" {
		u.Skip(from, "%s", why)
		return
	}
	if jdk.JRE {
		u.Skip(from, "%s is a JRE image: it has no compiler, so the build cannot run in it", u.Base.Expanded)
		return
	}
	if jdk.OpenJ9 {
		u.Skip(from, "%s runs Eclipse OpenJ9, whose options and class-data sharing differ from the HotSpot JRE this pass would use", u.Base.Expanded)
		return
	}
	for _, b := range builds {
		switch b.Tool {
		case "maven", "gradle", "sbt":
			u.Fact(b.Line, "%s %s in %s", map[string]string{"maven": "mvn", "gradle": "gradle", "sbt": "sbt"}[b.Tool], strings.Join(b.Goals, " "), b.Dir)
		default:
			if len(b.Writes) > 0 {
				u.Fact(b.Line, "%s writes %s", b.Tool, strings.Join(b.Writes, ", "))
			}
		}
	}
	if why := u.javaConfigProblems(); why != "" {
		u.Skip(from, "%s", why)
		return
	}
	cmds, line, viaShell, why := u.runCommands()
	if why != "" {
		u.Skip(line, "%s", why)
		return
	}
	refs, why := u.javaRefs(cmds, line, viaShell)
	if why != "" {
		u.Skip(line, "%s", why)
		return
	}
	rt, note, why := javaRuntime(u.Base, jdk)
	if why != "" {
		u.Skip(from, "%s", why)
		return
	}
	plan := &Plan{Ecosystem: "java", Runtime: rt, Major: strconv.Itoa(jdk.Major)}
	u.Plan = plan
	if !u.javaCopies(refs, builds, line) {
		u.Plan = nil
		return
	}
	msg := fmt.Sprintf("runtime %s: the JRE of the builder's Java %d", rt.Ref, jdk.Major)
	if note != "" {
		msg += " (" + note + ")"
	}
	u.Fact(from, "%s", msg)
	base, _ := ConfigOf(u.Base)
	if rcfg, _ := ConfigOf(rt); !u.setsEntrypoint() && !sameWords(base.Entrypoint, rcfg.Entrypoint) {
		switch {
		case len(base.Entrypoint) == 0:
			u.Fact(from, "ENTRYPOINT: %s adds %s, a wrapper that ends in exec \"$@\", so the command runs the same", rt.Ref, strings.Join(rcfg.Entrypoint, " "))
		case len(rcfg.Entrypoint) == 0:
			u.Fact(from, "ENTRYPOINT: %s's %s, a wrapper that ends in exec \"$@\", is gone; the command runs the same", u.Base.Expanded, base.Entrypoint[0])
		default:
			u.Fact(from, "ENTRYPOINT: %s's %s becomes %s's %s; both end in exec \"$@\", so the command runs the same", u.Base.Expanded, base.Entrypoint[0], rt.Ref, strings.Join(rcfg.Entrypoint, " "))
		}
	}
	if u.Base.Family == "gradle" {
		u.Fact(from, "the gradle image declares VOLUME /home/gradle/.gradle, Gradle's cache; the runtime image has no such volume")
	}
}

// javaConfigProblems finds configuration that only holds in the builder.
func (u *Unit) javaConfigProblems() string {
	base, _ := ConfigOf(u.Base)
	for _, s := range u.Steps {
		switch c := s.In.Command.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "JAVA_HOME" && path.Clean(kv.Value) != "/opt/java/openjdk" {
					return fmt.Sprintf("line %d sets JAVA_HOME, a path of the builder's JDK; the JRE is at /opt/java/openjdk", s.In.StartLine)
				}
			}
		case *instructions.EntrypointCommand:
			if len(c.CmdLine) > 0 && strings.Contains(c.CmdLine[0], "mvn-entrypoint.sh") {
				return fmt.Sprintf("line %d runs the maven image's %s, which the JRE image does not have", s.In.StartLine, mavenEntrypoint)
			}
		}
	}
	if base.User != "" && u.runtimeNeeds().User == "" {
		return fmt.Sprintf("%s runs as its user %q (gradle images before 5.5), which the JRE image lacks: set USER explicitly", u.Base.Expanded, base.User)
	}
	return ""
}

func (u *Unit) setsEntrypoint() bool {
	for _, s := range u.Steps {
		if s.In.Keyword == "entrypoint" {
			return true
		}
	}
	return false
}

// runCommands returns the shell commands the container runs (ENTRYPOINT
// and CMD, shell form and sh -c parsed), with the line that sets them.
func (u *Unit) runCommands() (cmds []Command, line int, viaShell bool, why string) {
	var epWords, cmdWords []string
	var epShell, cmdShell bool
	epLine, cmdLine := 0, 0
	for _, s := range u.Steps {
		switch c := s.In.Command.(type) {
		case *instructions.EntrypointCommand:
			epWords, epShell, epLine = c.CmdLine, c.PrependShell, s.In.StartLine
			cmdWords, cmdLine = nil, 0
		case *instructions.CmdCommand:
			cmdWords, cmdShell, cmdLine = c.CmdLine, c.PrependShell, s.In.StartLine
		}
	}
	wd := u.finalWorkdir()
	parse := func(script string, l int) ([]Command, int, bool, string) {
		cs, err := ParseScript(script, wd)
		if err != nil {
			return nil, l, true, fmt.Sprintf("cannot parse the shell of the command: %v", err)
		}
		return cs, l, true, ""
	}
	switch {
	case epLine != 0 && epShell:
		return parse(strings.Join(epWords, " "), epLine)
	case epLine != 0:
		words := append(append([]string{}, epWords...), cmdWords...)
		return execCommands(words, epLine, wd)
	case cmdLine != 0 && cmdShell:
		return parse(strings.Join(cmdWords, " "), cmdLine)
	case cmdLine != 0:
		return execCommands(cmdWords, cmdLine, wd)
	}
	base, _ := ConfigOf(u.Base)
	return nil, u.Stage.From.StartLine, false, fmt.Sprintf("the Dockerfile sets no CMD or ENTRYPOINT: the container runs the base image's %s, which needs the toolchain", strings.Join(append(append([]string{}, base.Entrypoint...), base.Cmd...), " "))
}

// execCommands turns exec-form words into commands, looking through sh -c
// and wrappers (tini, dumb-init, exec, env).
func execCommands(words []string, line int, wd string) ([]Command, int, bool, string) {
	words = stripWrappers(words)
	if len(words) > 0 {
		switch path.Base(words[0]) {
		case "sh", "bash", "ash", "dash":
			for i := 1; i < len(words)-1; i++ {
				if words[i] == "-c" || strings.HasPrefix(words[i], "-") && strings.HasSuffix(words[i], "c") {
					cs, err := ParseScript(words[i+1], wd)
					if err != nil {
						return nil, line, true, fmt.Sprintf("cannot parse the shell of the command: %v", err)
					}
					return cs, line, true, ""
				}
			}
		}
	}
	if len(words) == 0 {
		return nil, line, false, "the command is empty"
	}
	return []Command{{Args: words, Dir: wd}}, line, false, ""
}

// javaRefs finds the paths the run-time commands need.
func (u *Unit) javaRefs(cmds []Command, line int, viaShell bool) (refs []javaRef, why string) {
	found := false
	env := u.finalEnv()
	for _, c := range cmds {
		args := stripWrappers(c.Args)
		if len(args) == 0 {
			continue
		}
		// java -jar target/$VERTICLE_FILE with ENV VERTICLE_FILE: the
		// image's value (a docker run -e may change it, as it would the
		// original's).
		var expanded []string
		for _, a := range args {
			if !strings.Contains(a, "$") {
				expanded = append(expanded, a)
				continue
			}
			v := expandVars(a, env, c.Env)
			if varRe.FindString(a) == a {
				// An unquoted $JAVA_OPTS: split into words, gone when
				// empty.
				expanded = append(expanded, strings.Fields(v)...)
				continue
			}
			expanded = append(expanded, v)
		}
		args = expanded
		if len(args) == 0 {
			continue
		}
		// sh /opt/app/entrypoint.sh: the script is the program.
		if n := path.Base(args[0]); (n == "sh" || n == "bash") && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			args = args[1:]
		}
		name := path.Base(args[0])
		if tool, ok := javaRunTools[name]; ok {
			return nil, fmt.Sprintf("the container runs %s at run time: it needs %s, which stays in the builder", name, tool)
		}
		dir := c.Dir
		switch {
		case name == "java":
			if p := args[0]; strings.HasPrefix(p, "/") && p != "/opt/java/openjdk/bin/java" && p != "/usr/bin/java" {
				return nil, fmt.Sprintf("the container runs java by the builder's path %s; the JRE's java is /opt/java/openjdk/bin/java", p)
			}
			r, why := javaCommandRefs(args[1:], dir, viaShell)
			if why != "" {
				return nil, why
			}
			refs = append(refs, r...)
			found = true
		case !strings.Contains(args[0], "/") && (strings.HasSuffix(args[0], ".sh") || u.onPathFromContext(args[0]) != ""):
			// A script the Dockerfile copied onto the PATH is followed as
			// by its path.
			p := u.onPathFromContext(args[0])
			if p == "" {
				return nil, fmt.Sprintf("the container runs %s from the PATH, a script this pass cannot follow: cannot tell which build output it needs", args[0])
			}
			args = append([]string{p}, args[1:]...)
			fallthrough
		case strings.Contains(args[0], "/"):
			if strings.ContainsAny(args[0], "$`") {
				return nil, fmt.Sprintf("the container runs %s, a path that depends on a variable", args[0])
			}
			refs = append(refs, javaRef{Path: Resolve(dir, args[0]), What: "the program", Word: args[0], Artifact: true})
			refs = append(refs, argRefs(args[1:], dir)...)
			found = true
			// A shell script of the build context (entrypoint.sh, run.sh):
			// the java command it runs names the artifact.
			if inner := u.scriptCommands([]Command{{Args: args, Dir: dir}}); len(inner) > 0 && scriptDepth(cmds) < 2 {
				more, why := u.javaRefs(markScript(inner, scriptDepth(cmds)+1), line, true)
				if why == "" {
					refs = append(refs, more...)
				}
			}
		}
	}
	if !found {
		return nil, "the container runs neither java nor a program the build wrote: cannot tell which build output it needs"
	}
	return refs, ""
}

// onPathFromContext is where a COPY from the build context put the program
// name in a directory of the PATH, or "".
func (u *Unit) onPathFromContext(name string) string {
	for _, d := range []string{"/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/bin"} {
		if _, ok := u.contextFileFor(path.Join(d, name)); ok {
			return path.Join(d, name)
		}
	}
	return ""
}

// scriptMark is set in the Env of commands read from a script, to the
// depth of scripts they were read through: an entrypoint that execs
// another script (exec /app/bin/run.sh) is followed two levels deep.
const scriptMark = "\x00script"

func markScript(cmds []Command, depth int) []Command {
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		env := map[string]string{scriptMark: fmt.Sprint(depth)}
		for k, v := range c.Env {
			if k != scriptMark {
				env[k] = v
			}
		}
		c.Env = env
		out[i] = c
	}
	return out
}

// scriptDepth is the depth of scripts cmds were read through (0: the
// container's own command).
func scriptDepth(cmds []Command) int {
	if len(cmds) == 0 {
		return 0
	}
	d, _ := strconv.Atoi(cmds[0].Env[scriptMark])
	return d
}

// stripWrappers drops the programs that only start the real one: exec,
// env and its assignments, tini and dumb-init.
func stripWrappers(args []string) []string {
	for len(args) > 0 {
		switch path.Base(args[0]) {
		case "exec", "tini", "dumb-init", "--":
			args = args[1:]
		case "env":
			args = args[1:]
			for len(args) > 0 && (strings.Contains(args[0], "=") || strings.HasPrefix(args[0], "-")) {
				args = args[1:]
			}
		default:
			return args
		}
	}
	return args
}

// javaCommandRefs reads a java command line: -jar, -cp, the module path,
// agents, and path-like program arguments.
func javaCommandRefs(args []string, dir string, viaShell bool) (refs []javaRef, why string) {
	addPathList := func(list, what string) string {
		for _, e := range strings.Split(list, ":") {
			if e == "" {
				continue
			}
			if strings.ContainsAny(e, "$`") {
				return fmt.Sprintf("the %s %s depends on a variable", what, e)
			}
			// A trailing /* is Java's own class path wildcard: the directory.
			wild := strings.HasSuffix(e, "/*")
			e = strings.TrimSuffix(e, "/*")
			refs = append(refs, javaRef{Path: Resolve(dir, e), What: what, Word: e, Artifact: true, Wildcard: wild})
		}
		return ""
	}
	mainSeen := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, bool) {
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		switch {
		case mainSeen:
			refs = append(refs, argRefs([]string{a}, dir)...)
		case a == "-jar":
			jar, ok := next()
			if !ok {
				return nil, "java -jar names no jar"
			}
			if strings.ContainsAny(jar, "$`") {
				return nil, fmt.Sprintf("the jar %s depends on a variable", jar)
			}
			glob := strings.ContainsAny(jar, "*?[")
			if glob && !viaShell {
				return nil, fmt.Sprintf("the exec-form command passes %s to java unexpanded (no shell expands it): the original cannot start either", jar)
			}
			refs = append(refs, javaRef{Path: Resolve(dir, jar), What: "the jar", Word: jar, Artifact: true, Glob: glob})
			mainSeen = true
		case a == "-cp" || a == "-classpath" || a == "--class-path" || a == "-p" || a == "--module-path":
			list, ok := next()
			if !ok {
				return nil, fmt.Sprintf("java %s names no path", a)
			}
			if why := addPathList(list, "class path entry"); why != "" {
				return nil, why
			}
		case strings.HasPrefix(a, "--class-path=") || strings.HasPrefix(a, "--module-path="):
			_, list, _ := strings.Cut(a, "=")
			if why := addPathList(list, "class path entry"); why != "" {
				return nil, why
			}
		case strings.HasPrefix(a, "-javaagent:"):
			p, _, _ := strings.Cut(strings.TrimPrefix(a, "-javaagent:"), "=")
			refs = append(refs, javaRef{Path: Resolve(dir, p), What: "a Java agent", Word: p})
		case a == "-m" || a == "--module" || a == "--add-opens" || a == "--add-exports" || a == "--add-modules" || a == "--add-reads" || a == "--patch-module" || a == "--limit-modules" || a == "--upgrade-module-path":
			if a == "-m" || a == "--module" {
				mainSeen = true
			}
			next()
		case strings.HasPrefix(a, "-D"):
			if _, v, ok := strings.Cut(a, "="); ok {
				refs = append(refs, argRefs([]string{v}, dir)...)
			}
		case strings.HasPrefix(a, "-") || strings.ContainsAny(a, "$`"):
			// An option, or a variable that may hold options ($JAVA_OPTS).
		default:
			mainSeen = true // the main class; what follows are its arguments
		}
	}
	return refs, ""
}

// javaDataExt are the extensions of files a command line names for the
// program to read (configuration, keys, jars).
var javaDataExt = map[string]bool{
	".json": true, ".yml": true, ".yaml": true, ".conf": true, ".properties": true, ".xml": true, ".toml": true,
	".jar": true, ".sh": true, ".cfg": true, ".ini": true, ".pem": true, ".crt": true, ".jks": true, ".p12": true,
}

// argRefs keeps the words that look like relative or absolute file paths.
func argRefs(words []string, dir string) []javaRef {
	var out []javaRef
	for _, w := range words {
		if strings.HasPrefix(w, "-") {
			if _, v, ok := strings.Cut(w, "="); ok {
				w = v
			} else {
				continue
			}
		}
		if w == "" || strings.ContainsAny(w, "$`:*?[ ") || !strings.Contains(w, "/") && !javaDataExt[path.Ext(w)] {
			continue // com.example.Main is a class, not a file
		}
		out = append(out, javaRef{Path: Resolve(dir, w), What: "a file the command names", Word: w})
	}
	return out
}

// javaCopies turns the references into copies; false when it skipped.
func (u *Unit) javaCopies(refs []javaRef, builds []javaBuild, line int) bool {
	p := u.Plan
	seen := map[string]bool{}
	var units []Copy
	artifacts := 0
	add := func(c Copy) {
		if !seen[c.Src] {
			seen[c.Src] = true
			units = append(units, c)
		}
	}
	for _, r := range refs {
		root, b, ok := outputRoot(builds, r.Path)
		switch {
		case ok && r.Wildcard && !u.javaDependencyDirWritten():
			// target/dependency/* with no copy-dependencies: the original
			// starts without it (the JVM skips a missing wildcard
			// directory), and a COPY of it would fail the build.
			u.Fact(line, "class path entry %s/* is not written by the build (no dependency:copy-dependencies): not copied; the JVM skips it in the original too", r.Word)
			continue
		case ok:
			artifacts++
			if r.Glob {
				dir := path.Dir(r.Path)
				if strings.ContainsAny(dir, "*?[") {
					u.Skip(line, "%s: a pattern in a directory name: cannot copy the same matches", r.Word)
					return false
				}
				add(Copy{Src: r.Path, Dst: dir + "/", Line: line,
					Why: fmt.Sprintf("the shell expands %s at run time: the same pattern copies the same matching files", r.Word)})
				u.javaGlobNotes(r, b, line)
				continue
			}
			unit, lone := copyUnit(root, r.Path)
			why := fmt.Sprintf("%s %s, built by line %d", r.What, r.Word, b.Line)
			if unit != r.Path {
				why = fmt.Sprintf("%s %s is in %s, a distribution directory built by line %d: copied whole", r.What, r.Word, unit, b.Line)
			}
			add(Copy{Src: unit, Dst: unit, Line: line, Why: why})
			if lone && path.Ext(unit) == ".jar" && r.What == "the jar" {
				if extra := u.javaJarNeeds(unit, b, line); extra != "" {
					add(Copy{Src: extra, Dst: extra, Line: line, Why: fmt.Sprintf("the manifest Class-Path of %s names files in %s (maven-jar-plugin addClasspath)", path.Base(unit), path.Base(extra))})
				}
			}
		case u.writtenByRun(r.Path):
			if r.Glob {
				u.Skip(line, "%s: a pattern outside the build output: cannot tell which files it matches", r.Word)
				return false
			}
			artifacts++
			add(Copy{Src: r.Path, Dst: r.Path, Line: line, Why: fmt.Sprintf("%s %s, written by a RUN of the build", r.What, r.Word)})
		case u.fromContext(r.Path):
			if r.Glob || !r.Artifact && !javaDataExt[path.Ext(r.Path)] {
				continue // a path the program may write (logs/app.log), not one it reads
			}
			if u.Context != nil {
				if _, ok := u.contextPath(r.Path); !ok {
					continue
				}
			}
			add(Copy{Src: r.Path, Dst: r.Path, Line: line, Why: fmt.Sprintf("%s %s comes from the build context", r.What, r.Word)})
		case r.Artifact:
			u.Skip(line, "%s %s is neither a build output nor written by this Dockerfile: cannot locate the artifact", r.What, r.Word)
			return false
		}
	}
	if artifacts == 0 {
		for _, r := range refs {
			if r.What == "the program" {
				u.Skip(line, "the container runs %s, which comes from the build context, not the build: what it starts cannot be told, so neither can the artifact", r.Word)
				return false
			}
		}
		u.Skip(line, "the command names no build output: cannot locate the artifact")
		return false
	}
	p.Copies = append(p.Copies, units...)
	u.copyScriptPaths(line)
	u.javaContextData(line)
	p.Copies = withoutNested(p.Copies)
	return true
}

// withoutNested drops the copies whose source is inside another copied
// directory.
func withoutNested(cs []Copy) []Copy {
	var out []Copy
	for _, c := range cs {
		inside := false
		for _, o := range cs {
			if o.Src != c.Src && !strings.ContainsAny(o.Src, "*?[") && strings.HasPrefix(c.Src, strings.TrimSuffix(o.Src, "/")+"/") {
				inside = true
			}
		}
		if !inside {
			out = append(out, c)
		}
	}
	return out
}

// javaJarNeeds checks, from the build context, that a jar at the top of
// the output directory runs alone, and returns a directory its manifest
// Class-Path needs too ("" for none).
func (u *Unit) javaJarNeeds(jar string, b javaBuild, line int) string {
	if u.Context == nil {
		u.Warn(line, "no build context: %s is taken to be self-contained (a Spring Boot, shaded or assembly jar); if its manifest Class-Path names other files, copy them too", path.Base(jar))
		return ""
	}
	switch b.Tool {
	case "maven":
		pom, ctxDir := u.javaPom(b)
		if pom == nil {
			u.Warn(line, "no pom.xml for %s in the build context: %s is taken to be self-contained", b.Dir, path.Base(jar))
			return ""
		}
		if art, ok := pom.Artifact(b.Props); ok {
			want := path.Join(b.Dir, art)
			// A classified jar of the same artifact (-jar-with-dependencies,
			// -shaded) is the bundling plugin's output.
			classified := strings.HasPrefix(path.Base(jar), strings.TrimSuffix(path.Base(art), ".jar")+"-") && pom.bundler() != ""
			if len(b.Modules) == 0 && want != jar && path.Dir(want) == path.Dir(jar) && !classified {
				u.Warn(line, "%s/pom.xml builds %s, but the command runs %s", orDot(ctxDir), art, strings.TrimPrefix(jar, b.Dir+"/"))
			} else if want == jar {
				u.Fact(line, "%s/pom.xml builds %s", orDot(ctxDir), art)
			}
		}
		if pl := pom.bundler(); pl != "" {
			u.Fact(line, "%s bundles the dependencies into %s", pl, path.Base(jar))
			return ""
		}
		if d := pom.classpathDir(); d != "" {
			return path.Join(path.Dir(jar), d)
		}
		if n := pom.runtimeDeps(); n > 0 {
			u.Warn(line, "pom.xml has %d run-time dependencies and no plugin that bundles them: if %s does not carry them, copy what its Class-Path names", n, path.Base(jar))
		}
	case "sbt":
		for _, t := range b.Goals {
			if t == "assembly" || strings.HasSuffix(t, "/assembly") {
				u.Fact(line, "sbt assembly bundles the dependencies into %s", path.Base(jar))
				return ""
			}
		}
		u.Warn(line, "%s is taken to be self-contained; sbt package leaves the dependencies out of it (sbt assembly or sbt stage bring them)", path.Base(jar))
	case "gradle":
		for _, t := range b.Goals {
			switch t[strings.LastIndex(t, ":")+1:] {
			case "shadowJar", "bootJar", "buildFatJar", "uberJar", "fatJar":
				u.Fact(line, "gradle %s bundles the dependencies into the jar", t)
				return ""
			}
		}
		if g, ok := u.javaGradle(b); ok && (g.SpringBoot || g.Shadow) {
			u.Fact(line, "the %s plugin bundles the dependencies into %s", map[bool]string{true: "Spring Boot", false: "shadow"}[g.SpringBoot], path.Base(jar))
			return ""
		}
		u.Warn(line, "%s is taken to be self-contained; if its manifest Class-Path names other files, copy them too", path.Base(jar))
	}
	return ""
}

// gradleOnlyBootJar reports whether every Gradle build of the stage runs
// only bootJar: the plain jar comes from the jar task, which build and
// assemble run and bootJar does not.
func (u *Unit) gradleOnlyBootJar() bool {
	n := 0
	for _, b := range u.javaBuilds() {
		if b.Tool != "gradle" {
			continue
		}
		for _, t := range b.Goals {
			if t[strings.LastIndex(t, ":")+1:] != "bootJar" {
				return false
			}
			n++
		}
	}
	return n > 0
}

// javaGlobNotes warns when a jar pattern also matches jars that are not
// the application: Spring Boot's -plain.jar, shade's original-*.jar.
func (u *Unit) javaGlobNotes(r javaRef, b javaBuild, line int) {
	switch b.Tool {
	case "gradle":
		if u.gradleOnlyBootJar() {
			return // no task of the stage runs jar, which writes the -plain.jar
		}
		g, ok := u.javaGradle(b)
		switch {
		case !ok:
			u.Warn(line, "%s: if this is a Spring Boot 2.5+ build, the pattern also matches the *-plain.jar it writes, in the original as in the rewrite", r.Word)
		case g.PlainJar:
			u.Warn(line, "%s also matches the *-plain.jar the Spring Boot plugin writes (jar { enabled = false } turns it off), in the original as in the rewrite", r.Word)
		}
	case "maven":
		if pom, _ := u.javaPom(b); pom != nil {
			if art, ok := pom.Artifact(b.Props); ok {
				u.Fact(line, "pom.xml builds %s", art)
			}
			for _, pl := range pom.Build.Plugins {
				switch pl.ArtifactID {
				case "maven-shade-plugin", "maven-source-plugin", "maven-javadoc-plugin", "maven-assembly-plugin":
					u.Warn(line, "%s: %s writes more jars to target/ that the pattern also matches, in the original as in the rewrite", r.Word, pl.ArtifactID)
				}
			}
		}
	}
}

// javaPom reads the pom.xml of a Maven build (the module's with -pl) from
// the build context.
func (u *Unit) javaPom(b javaBuild) (*Pom, string) {
	if u.Context == nil {
		return nil, ""
	}
	dir := b.Dir
	if len(b.Modules) == 1 {
		dir = path.Join(dir, strings.TrimPrefix(b.Modules[0], ":"))
	}
	ctx, ok := u.contextPath(path.Join(dir, "pom.xml"))
	if !ok {
		return nil, ""
	}
	data, err := fs.ReadFile(u.Context.FS, ctx)
	if err != nil {
		return nil, ""
	}
	pom, err := ParsePom(data)
	if err != nil {
		return nil, ""
	}
	return pom, path.Dir(ctx)
}

func (u *Unit) javaGradle(b javaBuild) (*gradleProject, bool) {
	if u.Context == nil {
		return nil, false
	}
	for _, n := range []string{"build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"} {
		if ctx, ok := u.contextPath(path.Join(b.Dir, n)); ok {
			return readGradle(u.Context.FS, path.Dir(ctx))
		}
	}
	return nil, false
}

// javaBuildInputs are context files only the build reads.
var javaBuildInputs = map[string]bool{
	"pom.xml": true, "src": true, "build.gradle": true, "build.gradle.kts": true, "settings.gradle": true,
	"settings.gradle.kts": true, "gradle.properties": true, "gradle": true, "gradlew": true, "gradlew.bat": true,
	"mvnw": true, "mvnw.cmd": true, ".mvn": true, "buildSrc": true, "lombok.config": true, "build.xml": true,
	"project.clj": true, "build.sbt": true, "project": true, ".git": true, ".gitignore": true, "Dockerfile": true,
	".dockerignore": true, "README.md": true, "target": true, "build": true, "build.properties": true,
	"plugins.sbt": true, ".sbtopts": true, ".jvmopts": true,
}

var javaSourceExt = map[string]bool{".sbt": true, ".java": true, ".kt": true, ".kts": true, ".scala": true, ".groovy": true, ".clj": true}

// javaRuntimeData reports whether a context file or directory is one
// programs commonly read at run time: the asset directories of plan.go,
// conf/, and configuration files (Spring Boot reads ./config/ and
// ./application.properties from the working directory).
func javaRuntimeData(name string) bool {
	for _, d := range assetDirs {
		if name == d {
			return true
		}
	}
	switch path.Ext(name) {
	case ".properties", ".yml", ".yaml", ".conf", ".json", ".toml", ".xml":
		return name != "pom.xml"
	}
	return name == "conf"
}

// javaContextData copies what the Dockerfile copied from the build
// context that the program may read at run time, and warns about what it
// cannot classify. Build inputs (sources, build scripts) stay behind.
func (u *Unit) javaContextData(line int) {
	var unknown []string
	add := func(p, why string, l int) {
		for _, c := range u.Plan.Copies {
			if c.Src == p || strings.HasPrefix(p, strings.TrimSuffix(c.Src, "/")+"/") {
				return
			}
		}
		u.Plan.Copies = append(u.Plan.Copies, Copy{Src: p, Dst: p, Why: why, Line: l})
	}
	inBuildTree := func(p string) bool {
		for _, s := range u.Steps {
			if s.In.Keyword == "run" && s.Workdir != "" && s.Workdir != "/" {
				if _, in := under(p, normDir(s.Workdir)); in {
					return true
				}
			}
		}
		return false
	}
	for _, cp := range u.contextCopies() {
		src, abs, into, sline := cp.raw, cp.dest, cp.intoDir, cp.line
		name := path.Base(cp.src)
		switch {
		case cp.src == ".":
			if u.Context == nil {
				u.Warn(sline, "no build context: only the build output is copied; if the program reads files from %s at run time, copy them too", abs)
				continue
			}
			entries, _ := fs.ReadDir(u.Context.FS, ".")
			for _, e := range entries {
				if javaRuntimeData(e.Name()) && !javaBuildInputs[e.Name()] {
					add(path.Join(abs, e.Name()), fmt.Sprintf("the build context has %s, which programs read at run time", e.Name()), sline)
				}
			}
		case javaBuildInputs[name] || javaSourceExt[path.Ext(name)] || strings.ContainsAny(src, "*?["):
		case javaRuntimeData(name):
			p := abs
			if into {
				p = path.Join(abs, name)
			}
			add(p, fmt.Sprintf("line %d copies %s from the build context, which programs read at run time", sline, src), sline)
		case !inBuildTree(abs):
			// Put outside the project (an entrypoint in /usr/local/bin,
			// a certificate): the effects pass carries it.
		default:
			p := abs
			if into {
				p = path.Join(abs, name)
			}
			copied := false
			for _, c := range u.Plan.Copies {
				if _, in := under(p, path.Clean(c.Src)); in && c.Replay == nil {
					copied = true
				}
			}
			if !copied {
				unknown = append(unknown, fmt.Sprintf("%s (line %d)", src, sline))
			}
		}
	}
	if len(unknown) > 0 {
		u.Warn(line, "also copied from the build context, and not copied to the runtime: %s; if the program reads them at run time, copy them too", strings.Join(unknown, ", "))
	}
}

// writtenByRun reports whether a RUN writes p: the destination of cp, mv,
// ln or install, a jar cf, javac -d or wget -O/curl -o file, or a path
// below a tar -C or unzip -d directory.
func (u *Unit) writtenByRun(p string) bool {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			dir := c.Dir
			if dir == "" {
				dir = s.Workdir
			}
			// cp app.jar ${APP_HOME}/: the ENV and ARG values known there.
			args := make([]string, len(c.Args))
			for i, a := range c.Args {
				args[i] = expandVars(a, s.Env, c.Env)
			}
			var ops []string
			for _, a := range args[1:] {
				if !strings.HasPrefix(a, "-") {
					ops = append(ops, a)
				}
			}
			switch c.Name() {
			case "cp", "mv", "ln", "install":
				if len(ops) < 2 {
					continue
				}
				dst := Resolve(dir, ops[len(ops)-1])
				if dst == p || strings.HasPrefix(p, dst+"/") {
					return true
				}
			case "tar", "unzip":
				for i, a := range args {
					if (a == "-C" || a == "--directory" || a == "-d") && i+1 < len(args) {
						if d := Resolve(dir, args[i+1]); p == d || strings.HasPrefix(p, d+"/") {
							return true
						}
					}
				}
				if c.Name() == "tar" && strings.HasPrefix(p, normDir(dir)+"/") && len(ops) > 0 && strings.Contains(ops[0], "x") {
					return true // extracts into the working directory
				}
			case "curl", "wget":
				for i, a := range args {
					if (a == "-o" || a == "-O" || a == "--output" || a == "--output-document") && i+1 < len(args) && Resolve(dir, args[i+1]) == p {
						return true
					}
				}
			case "mvn", "mvnw":
				// dependency:copy-dependencies -DoutputDirectory=lib
				for _, a := range args {
					if v, ok := strings.CutPrefix(a, "-DoutputDirectory="); ok && strings.Contains(strings.Join(args, " "), "copy-dependencies") {
						if d := Resolve(dir, v); p == d || strings.HasPrefix(p, d+"/") {
							return true
						}
					}
				}
			}
		}
	}
	for _, b := range u.javaBuilds() {
		for _, w := range b.Writes {
			if p == w || strings.HasPrefix(p, w+"/") {
				return true
			}
		}
	}
	return false
}

// fromContext reports whether a COPY or ADD from the build context put p
// in the image. Without the context, a source without an extension is
// taken to be a directory.
func (u *Unit) fromContext(p string) bool {
	for _, cp := range u.contextCopies() {
		if _, ok := cp.sourceOf(p, u.guessIsDir); ok {
			return true
		}
	}
	return false
}

// contextPath maps a path in the image to the build-context file or
// directory that a COPY or ADD put there (the last one wins).
func (u *Unit) contextPath(p string) (string, bool) {
	if u.Context == nil {
		return "", false
	}
	copies := u.contextCopies()
	for i := len(copies) - 1; i >= 0; i-- {
		if src, ok := copies[i].sourceOf(p, u.contextIsDir); ok {
			if _, err := fs.Stat(u.Context.FS, src); err == nil {
				return src, true
			}
			return "", false // the later COPY wins, and the file is not there
		}
	}
	return "", false
}

func (u *Unit) contextIsDir(src string) bool {
	st, err := fs.Stat(u.Context.FS, src)
	return err == nil && st.IsDir()
}

// guessIsDir asks the build context, and without it (or when the context
// lacks the source) takes a name without an extension for a directory.
func (u *Unit) guessIsDir(src string) bool {
	if u.Context != nil {
		if st, err := fs.Stat(u.Context.FS, src); err == nil {
			return st.IsDir()
		}
	}
	return path.Ext(src) == ""
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// javaDependencyDirWritten reports whether the build copies the project's
// dependencies into a directory (maven-dependency-plugin's
// copy-dependencies, run by the Dockerfile or bound in pom.xml).
func (u *Unit) javaDependencyDirWritten() bool {
	for _, st := range u.Steps {
		if st.In.Keyword == "run" && strings.Contains(string(st.In.Raw), "copy-dependencies") {
			return true
		}
	}
	if u.Context == nil {
		return false
	}
	found := false
	_ = fs.WalkDir(u.Context.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && strings.Count(p, "/") >= 2 {
			return fs.SkipDir // no pom.xml deeper than this counts
		}
		if err == nil && !d.IsDir() && d.Name() == "pom.xml" && strings.Count(p, "/") <= 2 {
			if b, err := fs.ReadFile(u.Context.FS, p); err == nil && strings.Contains(string(b), "copy-dependencies") {
				found = true
			}
		}
		return nil
	})
	return found
}
