package transform

import (
	"encoding/xml"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// javaBuild is one Maven, Gradle or javac/jar command of the builder.
type javaBuild struct {
	Tool string // "maven", "gradle", "javac", "jar"
	// Dir is the project directory in the image (where pom.xml or
	// settings.gradle is).
	Dir   string
	Goals []string // Maven goals or Gradle tasks
	// Modules are Maven -pl modules.
	Modules []string
	// Props are -Dname=value definitions (Maven reads them in the pom).
	Props map[string]string
	// Writes are the files or directories a javac -d or jar cf writes.
	Writes []string
	Line   int
}

// Flags of mvn and gradle that take their value as the next word.
var (
	mavenValueFlags = map[string]bool{
		"-f": true, "--file": true, "-pl": true, "--projects": true, "-P": true, "--activate-profiles": true,
		"-s": true, "--settings": true, "-gs": true, "--global-settings": true, "-t": true, "--toolchains": true,
		"-T": true, "--threads": true, "-rf": true, "--resume-from": true, "-l": true, "--log-file": true,
		"-b": true, "--builder": true, "-D": true, "--define": true, "-gt": true, "--global-toolchains": true,
	}
	gradleValueFlags = map[string]bool{
		"-p": true, "--project-dir": true, "-b": true, "--build-file": true, "-c": true, "--settings-file": true,
		"-x": true, "--exclude-task": true, "-P": true, "--project-prop": true, "-D": true, "--system-prop": true,
		"-I": true, "--init-script": true, "-g": true, "--gradle-user-home": true, "--console": true,
		"--warning-mode": true, "--max-workers": true, "--priority": true, "-M": true, "--write-verification-metadata": true,
	}
)

// javaBuilds lists the commands that build Java code in the builder.
// Commands that only fetch dependencies (dependency:go-offline) or clean
// are left out.
func (u *Unit) javaBuilds() []javaBuild {
	var out []javaBuild
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			args := c.Args
			name := c.Name()
			if (name == "sh" || name == "bash") && len(args) > 1 && (path.Base(args[1]) == "mvnw" || path.Base(args[1]) == "gradlew") {
				args, name = args[1:], path.Base(args[1])
			}
			dir := c.Dir
			if dir == "" {
				dir = s.Workdir
			}
			b := javaBuild{Dir: normDir(dir), Line: s.In.StartLine, Props: map[string]string{}}
			switch name {
			case "mvn", "mvnw", "mvnDebug":
				b.Tool = "maven"
				for i := 1; i < len(args); i++ {
					a := args[i]
					switch {
					case mavenValueFlags[a] && i+1 < len(args):
						i++
						switch a {
						case "-f", "--file":
							b.Dir = mavenProjectDir(b.Dir, args[i])
						case "-pl", "--projects":
							b.Modules = strings.Split(args[i], ",")
						case "-D", "--define":
							k, v, _ := strings.Cut(args[i], "=")
							b.Props[k] = v
						}
					case strings.HasPrefix(a, "-D"):
						k, v, _ := strings.Cut(a[2:], "=")
						b.Props[k] = v
					case strings.HasPrefix(a, "--file="):
						b.Dir = mavenProjectDir(b.Dir, strings.TrimPrefix(a, "--file="))
					case strings.HasPrefix(a, "-"):
					default:
						if mavenBuildsSomething(a) {
							b.Goals = append(b.Goals, a)
						}
					}
				}
			case "gradle", "gradlew":
				b.Tool = "gradle"
				for i := 1; i < len(args); i++ {
					a := args[i]
					switch {
					case gradleValueFlags[a] && i+1 < len(args):
						i++
						if a == "-p" || a == "--project-dir" {
							b.Dir = Resolve(b.Dir, args[i])
						}
					case strings.HasPrefix(a, "--project-dir="):
						b.Dir = Resolve(b.Dir, strings.TrimPrefix(a, "--project-dir="))
					case strings.HasPrefix(a, "-"):
					default:
						if gradleBuildsSomething(a) {
							b.Goals = append(b.Goals, a)
						}
					}
				}
			case "sbt":
				b.Tool = "sbt"
				for _, a := range args[1:] {
					if !strings.HasPrefix(a, "-") && a != "clean" && a != "update" && a != "test" && a != "sbtVersion" && !strings.HasPrefix(a, "set ") {
						b.Goals = append(b.Goals, a)
					}
				}
			case "javac":
				b.Tool = "javac"
				b.Goals = []string{"javac"}
				for i := 1; i+1 < len(args); i++ {
					if args[i] == "-d" {
						b.Writes = append(b.Writes, Resolve(b.Dir, args[i+1]))
					}
				}
			case "jar":
				// jar cf FILE ..., jar cfe FILE MAIN ..., jar --create --file FILE
				b.Tool = "jar"
				b.Goals = []string{"jar"}
				if len(args) > 2 && !strings.HasPrefix(args[1], "-") && strings.Contains(args[1], "c") && strings.Contains(args[1], "f") {
					b.Writes = append(b.Writes, Resolve(b.Dir, args[2]))
				}
				for i := 1; i+1 < len(args); i++ {
					if args[i] == "--file" || args[i] == "-f" {
						b.Writes = append(b.Writes, Resolve(b.Dir, args[i+1]))
					}
				}
			default:
				continue
			}
			if len(b.Goals) > 0 {
				out = append(out, b)
			}
		}
	}
	return out
}

func mavenProjectDir(dir, f string) string {
	p := Resolve(dir, f)
	if strings.HasSuffix(p, ".xml") {
		return path.Dir(p)
	}
	return p
}

// mavenBuildsSomething reports whether a goal or phase writes to target/.
func mavenBuildsSomething(goal string) bool {
	switch goal {
	case "clean", "validate", "initialize":
		return false
	}
	prefix, _, plugin := strings.Cut(goal, ":")
	if plugin {
		switch prefix {
		case "dependency", "help", "versions", "clean", "enforcer":
			return false
		}
	}
	return true
}

func gradleBuildsSomething(task string) bool {
	t := task[strings.LastIndex(task, ":")+1:]
	switch t {
	case "clean", "dependencies", "help", "tasks", "properties", "projects", "wrapper", "test", "check":
		return false
	}
	return true
}

// outputRoot returns the build output directory (…/target of Maven,
// …/build of Gradle) that holds p, or the file or directory a javac or jar
// command wrote.
func outputRoot(builds []javaBuild, p string) (root string, b javaBuild, ok bool) {
	for _, b := range builds {
		for _, w := range b.Writes {
			if p == w || strings.HasPrefix(p, w+"/") {
				return w, b, true
			}
		}
		seg := map[string]string{"maven": "target", "gradle": "build", "sbt": "target"}[b.Tool]
		if seg == "" || !strings.HasPrefix(p, strings.TrimSuffix(b.Dir, "/")+"/") {
			continue
		}
		rel := strings.Split(strings.TrimPrefix(p, strings.TrimSuffix(b.Dir, "/")+"/"), "/")
		for i, s := range rel {
			if s == seg && i < len(rel)-1 {
				return path.Join(b.Dir, path.Join(rel[:i+1]...)), b, true
			}
		}
	}
	return "", javaBuild{}, false
}

// copyUnit is what to copy so that p, inside the output root, works at run
// time: a jar at the top of target/ or build/libs/ alone; anything deeper
// brings its whole distribution directory (target/server for
// target/server/bin/standalone.sh, build/install/app for installDist),
// whose scripts find their lib/ relative to themselves.
func copyUnit(root, p string) (unit string, lone bool) {
	if p == root {
		return p, false
	}
	rel := strings.Split(strings.TrimPrefix(p, root+"/"), "/")
	for i := 1; i < len(rel)-1; i++ {
		if rel[i] == "bin" {
			// A start script finds its jars relative to itself.
			return path.Join(root, path.Join(rel[:i]...)), false
		}
	}
	switch {
	case len(rel) == 1:
		return p, true
	case path.Base(root) == "build" && rel[0] == "libs" && len(rel) == 2:
		return p, true
	case path.Base(root) == "build" && rel[0] == "install":
		return path.Join(root, rel[0], rel[1]), false
	case path.Base(root) == "target" && strings.HasPrefix(rel[0], "scala-") && len(rel) == 2 && path.Ext(p) == ".jar":
		// sbt writes its jars to target/scala-<version>/, next to the
		// compiled classes and caches the jar does not need.
		return p, true
	}
	return path.Join(root, rel[0]), false
}

// Pom is the part of a Maven pom.xml that names the artifact.
type Pom struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Packaging  string `xml:"packaging"`
	Parent     struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"properties"`
	Modules      []string `xml:"modules>module"`
	Dependencies []struct {
		ArtifactID string `xml:"artifactId"`
		Scope      string `xml:"scope"`
	} `xml:"dependencies>dependency"`
	Build struct {
		FinalName string      `xml:"finalName"`
		Plugins   []pomPlugin `xml:"plugins>plugin"`
	} `xml:"build"`
}

type pomPlugin struct {
	ArtifactID    string `xml:"artifactId"`
	Configuration struct {
		Archive struct {
			Manifest struct {
				AddClasspath    string `xml:"addClasspath"`
				ClasspathPrefix string `xml:"classpathPrefix"`
			} `xml:"manifest"`
		} `xml:"archive"`
		ShadedArtifactAttached string `xml:"shadedArtifactAttached"`
	} `xml:"configuration"`
}

// ParsePom reads a pom.xml.
func ParsePom(data []byte) (*Pom, error) {
	var p Pom
	if err := xml.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

var mavenPropRe = regexp.MustCompile(`\$\{([^}]+)\}`)

// Artifact is the file the package phase writes, relative to the project
// directory (target/<finalName>.<ext>), with ${...} references resolved
// from the pom's own values, its <properties> and the command line's -D
// definitions. ok is false when the name cannot be known: a reference
// stays unresolved, or the packaging writes no jar, war or ear.
func (p *Pom) Artifact(defs map[string]string) (file string, ok bool) {
	ext := map[string]string{"": "jar", "jar": "jar", "war": "war", "ear": "ear", "maven-plugin": "jar", "bundle": "jar"}[p.Packaging]
	if ext == "" {
		return "", false
	}
	version := p.Version
	if version == "" {
		version = p.Parent.Version // inherited from the parent
	}
	props := map[string]string{}
	for _, e := range p.Properties.Entries {
		props[e.XMLName.Local] = strings.TrimSpace(e.Value)
	}
	for k, v := range defs {
		props[k] = v // -D wins over <properties>
	}
	props["project.artifactId"], props["artifactId"], props["pom.artifactId"] = p.ArtifactID, p.ArtifactID, p.ArtifactID
	props["project.parent.version"] = p.Parent.Version
	resolve := func(s string) (string, bool) {
		for i := 0; i < 8 && strings.Contains(s, "${"); i++ {
			s = mavenPropRe.ReplaceAllStringFunc(s, func(m string) string {
				if v, ok := props[m[2:len(m)-1]]; ok {
					return v
				}
				return m
			})
		}
		return s, !strings.Contains(s, "${")
	}
	v, okV := resolve(version)
	props["project.version"], props["version"], props["pom.version"] = v, v, v
	name := p.Build.FinalName
	if name == "" {
		if !okV || p.ArtifactID == "" || v == "" {
			return "", false
		}
		name = p.ArtifactID + "-" + v
	}
	name, ok = resolve(name)
	if !ok || strings.ContainsAny(name, "/$") {
		return "", false
	}
	return "target/" + name + "." + ext, true
}

// bundler names the plugin that puts the dependencies into the jar, or
// "" when none is configured.
func (p *Pom) bundler() string {
	for _, pl := range p.Build.Plugins {
		switch pl.ArtifactID {
		case "spring-boot-maven-plugin", "maven-shade-plugin", "maven-assembly-plugin", "vertx-maven-plugin", "onejar-maven-plugin", "jooby-maven-plugin":
			return pl.ArtifactID
		}
	}
	return ""
}

// classpathDir is the directory, relative to the jar, that the jar's
// manifest Class-Path names (maven-jar-plugin addClasspath with a
// classpathPrefix), or "".
func (p *Pom) classpathDir() string {
	for _, pl := range p.Build.Plugins {
		m := pl.Configuration.Archive.Manifest
		if pl.ArtifactID == "maven-jar-plugin" && strings.TrimSpace(m.AddClasspath) == "true" {
			d := strings.Trim(strings.TrimSpace(m.ClasspathPrefix), "/")
			if d != "" && !strings.Contains(d, "$") && !strings.HasPrefix(d, ".") {
				return d
			}
		}
	}
	return ""
}

func (p *Pom) runtimeDeps() int {
	n := 0
	for _, d := range p.Dependencies {
		if d.Scope != "test" && d.Scope != "provided" {
			n++
		}
	}
	return n
}

// gradleProject is what the build scripts of a Gradle project show. Gradle
// scripts are programs (Groovy or Kotlin); only plain declarations are
// read, for facts and warnings, never to decide a path on their own.
type gradleProject struct {
	Name       string // rootProject.name
	SpringBoot bool   // the org.springframework.boot plugin
	PlainJar   bool   // the plain jar task is left enabled
	Shadow     bool   // the shadow plugin
}

var (
	gradleNameRe   = regexp.MustCompile(`rootProject\.name\s*=\s*["']([^"'$]+)["']`)
	gradleBootRe   = regexp.MustCompile(`org\.springframework\.boot`)
	gradleShadowRe = regexp.MustCompile(`com\.github\.johnrengelman\.shadow|com\.gradleup\.shadow|io\.github\.goooler\.shadow`)
	gradleNoJarRe  = regexp.MustCompile(`(?s)(tasks\.)?(named\s*\(\s*["']jar["']|getByName\s*\(\s*["']jar["']|jar)\s*(\([^)]*\))?\s*\{[^}]*enabled\s*=\s*false`)
)

// readGradle reads the build scripts at dir of the context.
func readGradle(fsys fs.FS, dir string) (*gradleProject, bool) {
	var build, settings []byte
	for _, n := range []string{"build.gradle", "build.gradle.kts"} {
		if b, err := fs.ReadFile(fsys, path.Join(dir, n)); err == nil {
			build = b
		}
	}
	for _, n := range []string{"settings.gradle", "settings.gradle.kts"} {
		if b, err := fs.ReadFile(fsys, path.Join(dir, n)); err == nil {
			settings = b
		}
	}
	if build == nil && settings == nil {
		return nil, false
	}
	g := &gradleProject{}
	if m := gradleNameRe.FindSubmatch(settings); m != nil {
		g.Name = string(m[1])
	}
	g.SpringBoot = gradleBootRe.Match(build)
	g.Shadow = gradleShadowRe.Match(build)
	g.PlainJar = g.SpringBoot && !gradleNoJarRe.Match(build)
	return g, true
}
