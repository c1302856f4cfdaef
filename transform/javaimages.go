package transform

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// javaJDK is what a Java builder tag says about its JDK.
type javaJDK struct {
	Major int
	// JRE is set when the tag names a JRE: it cannot compile.
	JRE bool
	// OpenJ9 is set for IBM's VM: its -X options differ from HotSpot's.
	OpenJ9 bool
	// Temurin is set when the image is built on eclipse-temurin, so an
	// unqualified tag follows the same default distribution release.
	Temurin bool
}

var (
	// The leading version of an openjdk, eclipse-temurin or amazoncorretto
	// tag: 17, 17.0.9_9, 8u392-b08, 11.0.21.
	jdkVersionRe = regexp.MustCompile(`^(\d+)(?:[.u_][0-9._a-z]*)?(?:-(.*))?$`)
	// The JDK a maven tag is built on: 3.9.6-eclipse-temurin-17, 3-openjdk-17,
	// 3.5.3-jdk-8, 3-amazoncorretto-21, 3-ibm-semeru-17-focal.
	mavenJDKRe = regexp.MustCompile(`(?:^|-)(eclipse-temurin|openjdk|jdk|amazoncorretto|sapmachine|adoptopenjdk|ibmjava|ibm-semeru|graalvm-ce|graalvm-community|zulu|azulzulu)-(\d+)(?:-|$)`)
	// A gradle tag's JDK: 8.7.0-jdk21, jdk17-alpine, 6.8-jre11.
	gradleJDKRe = regexp.MustCompile(`(?:^|-)(jdk|jre)(\d+)(?:-|$)`)
	// An sbt image's JDK: eclipse-temurin-21.0.6_7_1.10.11_2.13.16,
	// eclipse-temurin-jammy-17.0.10_7_1.9.9_3.4.0, 8u242_1.3.8_2.13.1
	// (sbt/docker-sbt, formerly hseeberger/scala-sbt).
	sbtJDKRe = regexp.MustCompile(`^(?:(eclipse-temurin|graalvm[a-z-]*|amazoncorretto|openjdk[a-z-]*)-)?(?:(alpine|focal|jammy|noble)-)?(\d+)(?:u\d+|\.[0-9.]+)?_`)
)

// gradleDefaultJDK is the Java major behind gradle tags that name none
// ("7.4-jdk-alpine", "8.10"), by Gradle version: the tag keeps the image of
// its last build. The unnumbered tags followed the newest LTS Gradle could
// run on: Java 17 in 2022 (the image README of 2022-04 lists "jdk17,
// latest"), Java 21 from 2024-04-04 (docker-library/official-images#16537,
// during Gradle 8.7). Older and newer versions are left out: their default
// is not documented where this table could check it.
var gradleDefaultJDK = []struct {
	from, to [2]int // inclusive major.minor range
	major    int
}{
	{[2]int{7, 4}, [2]int{8, 6}, 17},
	{[2]int{8, 7}, [2]int{9, 0}, 21},
}

// javaBuilderJDK reads the JDK of a Java builder image from its tag. why is
// set when the tag does not say.
func javaBuilderJDK(im Image) (j javaJDK, why string) {
	tag := strings.ToLower(im.Tag)
	switch im.Family {
	case "eclipse-temurin", "openjdk", "amazoncorretto":
		m := jdkVersionRe.FindStringSubmatch(tag)
		if m == nil {
			return j, fmt.Sprintf("%s names no Java version (the major behind %q changes with each release): pin one, e.g. %s:21-jdk", im.Expanded, orLatest(im.Tag), im.Name)
		}
		j.Major, _ = strconv.Atoi(m[1])
		rest := "-" + m[2] + "-"
		j.JRE = strings.Contains(rest, "-jre-") || strings.Contains(rest, "-jre")
		j.Temurin = im.Family == "eclipse-temurin"
		return j, ""
	case "maven":
		m := mavenJDKRe.FindStringSubmatch(tag)
		if m == nil {
			return j, fmt.Sprintf("%s names no JDK (maven's unqualified tags move to each new LTS): pin one, e.g. maven:3.9-eclipse-temurin-21", im.Expanded)
		}
		j.Major, _ = strconv.Atoi(m[2])
		switch m[1] {
		case "ibmjava", "ibm-semeru":
			j.OpenJ9 = true
		case "adoptopenjdk":
			j.OpenJ9 = strings.Contains(tag, "openj9")
		case "graalvm-ce", "graalvm-community":
			return j, fmt.Sprintf("%s is a GraalVM JDK: its JIT and options differ from the HotSpot JRE this pass uses", im.Expanded)
		case "eclipse-temurin":
			j.Temurin = true
		}
		return j, ""
	case "gradle":
		if strings.Contains(tag, "graal") {
			return j, fmt.Sprintf("%s is a GraalVM JDK: its JIT and options differ from the HotSpot JRE this pass uses", im.Expanded)
		}
		if m := gradleJDKRe.FindStringSubmatch(tag); m != nil {
			j.Major, _ = strconv.Atoi(m[2])
			j.JRE = m[1] == "jre"
			j.Temurin = !strings.Contains(tag, "corretto")
			return j, ""
		}
		ver := ""
		if m := versionRe.FindStringSubmatch(tag); m != nil {
			ver = m[1]
		}
		maj, min := versionParts(ver)
		for _, r := range gradleDefaultJDK {
			if ver != "" && strings.Count(ver, ".") >= 1 && !less([2]int{maj, min}, r.from) && !less(r.to, [2]int{maj, min}) {
				j.Major, j.Temurin = r.major, !strings.Contains(tag, "corretto")
				return j, ""
			}
		}
		return j, fmt.Sprintf("%s names no JDK, and the Java major of gradle's unqualified tags changed over time (8, 11, 17, 21): pin one, e.g. gradle:%s-jdk21", im.Expanded, orVersion(ver))
	case "sbt":
		m := sbtJDKRe.FindStringSubmatch(tag)
		if m == nil {
			return j, fmt.Sprintf("%s names no JDK in the form the sbt images use (eclipse-temurin-21.0.6_7_1.10.11_2.13.16): pin one", im.Expanded)
		}
		if strings.HasPrefix(m[1], "graalvm") {
			return j, fmt.Sprintf("%s is a GraalVM JDK: its JIT and options differ from the HotSpot JRE this pass uses", im.Expanded)
		}
		j.Major, _ = strconv.Atoi(m[3])
		j.Temurin = m[1] == "eclipse-temurin"
		return j, ""
	}
	return j, fmt.Sprintf("%s is not a Java builder image this pass knows", im.Expanded)
}

func less(a, b [2]int) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

func orLatest(tag string) string {
	if tag == "" {
		return "latest"
	}
	return tag
}

func orVersion(v string) string {
	if v == "" {
		return "8.10"
	}
	return v
}

// temurinJRE lists the Java majors with eclipse-temurin JRE images and the
// Ubuntu releases each has, oldest first (adoptium/containers, 2026-11:
// 16 and 9-15 never had JRE images; the non-LTS majors keep their last
// images but get no updates).
var temurinJRE = map[int][]string{
	8: {"focal", "jammy", "noble"}, 11: {"focal", "jammy", "noble"}, 17: {"focal", "jammy", "noble"},
	18: {"focal", "jammy"}, 19: {"focal", "jammy"}, 20: {"jammy"},
	21: {"jammy", "noble"}, 22: {"jammy", "noble"}, 23: {"noble"}, 24: {"noble"},
	25: {"jammy", "noble"}, 26: {"jammy", "noble"},
}

var temurinLTS = map[int]bool{8: true, 11: true, 17: true, 21: true, 25: true}

var ubuntuOrder = map[string]int{"focal": 1, "jammy": 2, "noble": 3}

// javaRuntime maps a Java builder to the eclipse-temurin JRE of the same
// major, keeping its OS: alpine stays alpine (musl), an Ubuntu release in
// the tag is kept, or the next newer one the JRE has (never an older one:
// its glibc could be too old); builders on Debian, Oracle Linux or Amazon
// Linux, and temurin builders without a release, get the default JRE tag
// (Ubuntu's newest LTS, whose glibc is at least as new). note says what
// the reader should know.
func javaRuntime(b Image, j javaJDK) (rt Image, note, why string) {
	rels, ok := temurinJRE[j.Major]
	if !ok {
		return rt, "", fmt.Sprintf("no eclipse-temurin JRE image exists for Java %d (JRE images: 8, 11, 17-26): the runtime cannot keep the builder's Java major", j.Major)
	}
	tag := strings.ToLower(b.Tag)
	suffix := ""
	switch {
	case strings.Contains(tag, "windowsservercore") || strings.Contains(tag, "nanoserver"):
		return rt, "", fmt.Sprintf("%s is a Windows image: this pass plans Linux runtimes only", b.Expanded)
	case b.Libc == "musl":
		suffix = "-alpine"
	case strings.Contains(tag, "ubi9") || strings.Contains(tag, "ubi10"):
		if j.Major == 8 || j.Major == 11 || j.Major == 17 || j.Major == 21 || j.Major == 25 {
			if strings.Contains(tag, "ubi10") {
				suffix = "-ubi10-minimal"
			} else {
				suffix = "-ubi9-minimal"
			}
		} else {
			return rt, "", fmt.Sprintf("%s is a UBI image, and no eclipse-temurin UBI JRE is known for Java %d", b.Expanded, j.Major)
		}
	case ubuntuOrder[b.Release] > 0:
		want := ubuntuOrder[b.Release]
		for _, r := range rels {
			if ubuntuOrder[r] >= want {
				suffix = "-" + r
				if r != b.Release {
					note = fmt.Sprintf("no %s JRE image for Java %d: %s, a newer Ubuntu release", b.Release, j.Major, r)
				}
				break
			}
		}
		if suffix == "" {
			return rt, "", fmt.Sprintf("no eclipse-temurin %d JRE on Ubuntu %s or newer", j.Major, b.Release)
		}
	case strings.Contains(tag, "resolute") || strings.Contains(tag, "plucky"):
		return rt, "", fmt.Sprintf("%s names an Ubuntu release this pass has no JRE table for", b.Expanded)
	}
	ref := fmt.Sprintf("eclipse-temurin:%d-jre%s", j.Major, suffix)
	if !temurinLTS[j.Major] {
		if note != "" {
			note += "; "
		}
		note += fmt.Sprintf("Java %d is not an LTS release: its images no longer get updates", j.Major)
	}
	return ParseImage(ref, ref), note, ""
}

// Base configs of the Java images, as their Dockerfiles set them
// (docker-library/repo-info, adoptium/containers, carlossg/docker-maven,
// keeganwitt/docker-gradle). Env values that no comparison reads exactly
// (JAVA_VERSION) are approximate: the self-check only subtracts the base's
// Env from the final one.
func temurinEnv(major int, musl bool) []string {
	env := []string{"JAVA_HOME=/opt/java/openjdk", "PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if !musl {
		env = append(env, "LANG=en_US.UTF-8", "LANGUAGE=en_US:en", "LC_ALL=en_US.UTF-8")
	}
	return append(env, fmt.Sprintf("JAVA_VERSION=jdk-%d", major))
}

func openjdkEnv(major int) []string {
	home := fmt.Sprintf("/usr/local/openjdk-%d", major)
	if major >= 17 {
		home = fmt.Sprintf("/usr/java/openjdk-%d", major) // Oracle Linux based
	}
	return []string{"PATH=" + home + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "JAVA_HOME=" + home, "LANG=C.UTF-8", fmt.Sprintf("JAVA_VERSION=%d", major)}
}

// osCmd is the CMD of the distribution image a JRE or JDK 8 image is
// built on (it sets none of its own).
func osCmd(im Image) []string {
	if im.Libc == "musl" {
		return []string{"/bin/sh"}
	}
	return []string{"/bin/bash"}
}

const (
	cacertEntrypoint = "/__cacert_entrypoint.sh"
	mavenEntrypoint  = "/usr/local/bin/mvn-entrypoint.sh"
)

func javaBaseConfig(im Image) BaseConfig {
	j, _ := javaBuilderJDK(im)
	if j.Major == 0 {
		j.Major = 21
	}
	musl := im.Libc == "musl"
	switch im.Family {
	case "eclipse-temurin":
		c := BaseConfig{Env: temurinEnv(j.Major, musl), Entrypoint: []string{cacertEntrypoint}, Cmd: osCmd(im)}
		if !j.JRE && j.Major >= 9 {
			c.Cmd = []string{"jshell"}
		}
		return c
	case "openjdk":
		c := BaseConfig{Env: openjdkEnv(j.Major), Cmd: []string{"bash"}}
		if !j.JRE && j.Major >= 11 {
			c.Cmd = []string{"jshell"}
		}
		return c
	case "amazoncorretto":
		return BaseConfig{Env: []string{stdPath, "LANG=C.UTF-8", fmt.Sprintf("JAVA_HOME=/usr/lib/jvm/java-%d-amazon-corretto", j.Major)}, Cmd: osCmd(im)}
	case "maven":
		env := temurinEnv(j.Major, musl)
		if !j.Temurin {
			env = openjdkEnv(j.Major)
		}
		env = append(env, "MAVEN_HOME=/usr/share/maven", "MAVEN_CONFIG=/root/.m2")
		return BaseConfig{Env: env, Entrypoint: []string{mavenEntrypoint}, Cmd: []string{"mvn"}}
	case "sbt":
		// sbt/docker-sbt: built on the JDK image, works in /root as root,
		// CMD sbt in shell form.
		env := temurinEnv(j.Major, musl)
		c := BaseConfig{Entrypoint: []string{cacertEntrypoint}, WorkingDir: "/root", Cmd: []string{"/bin/sh", "-c", "sbt"}}
		if !j.Temurin {
			env, c.Entrypoint = openjdkEnv(j.Major), nil
		}
		c.Env = env
		return c
	case "gradle":
		maj, min := versionParts(im.Version)
		c := BaseConfig{
			Env:        append(temurinEnv(j.Major, musl), "GRADLE_HOME=/opt/gradle", "GRADLE_VERSION="+im.Version),
			Entrypoint: []string{cacertEntrypoint},
			Cmd:        []string{"gradle"},
			WorkingDir: "/home/gradle",
		}
		// Until Gradle 5.5 the image ran as its gradle user
		// (gradle/docker-gradle#99, 2019-05).
		if im.Version != "" && less([2]int{maj, min}, [2]int{5, 5}) {
			c.User = "gradle"
		}
		return c
	}
	return BaseConfig{}
}

func init() {
	familyNames["amazoncorretto"] = "amazoncorretto"
	familyNames["sbtscala/scala-sbt"] = "sbt"
	familyNames["hseeberger/scala-sbt"] = "sbt"
	for _, f := range []string{"eclipse-temurin", "openjdk", "amazoncorretto", "maven", "gradle", "sbt"} {
		familyConfigs[f] = javaBaseConfig
	}
}
