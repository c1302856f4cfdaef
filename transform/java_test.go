package transform

import (
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestJavaBuilderJDK(t *testing.T) {
	for _, c := range []struct {
		ref   string
		major int
		jre   bool
		bad   bool
	}{
		{ref: "maven:3.9.11-eclipse-temurin-25", major: 25},
		{ref: "maven:3.9.11-eclipse-temurin-25-noble", major: 25},
		{ref: "maven:3-openjdk-17", major: 17},
		{ref: "maven:3.5.3-jdk-8", major: 8},
		{ref: "maven:3.8.4-jdk-8-slim", major: 8},
		{ref: "maven:3-amazoncorretto-21", major: 21},
		{ref: "maven:3.9", bad: true},
		{ref: "maven:latest", bad: true},
		{ref: "maven:3-graalvm-ce-17", bad: true},
		{ref: "gradle:8.7.0-jdk21", major: 21},
		{ref: "gradle:jdk17-alpine", major: 17},
		{ref: "gradle:7.4-jdk-alpine", major: 17},
		{ref: "gradle:8.10", major: 21},
		{ref: "gradle:6.7", bad: true},
		{ref: "gradle:9.2-jdk", bad: true},
		{ref: "gradle:6.8-jre11", major: 11, jre: true},
		{ref: "openjdk:17", major: 17},
		{ref: "openjdk:8u212-jdk-slim", major: 8},
		{ref: "openjdk:11-jre-slim", major: 11, jre: true},
		{ref: "openjdk:latest", bad: true},
		{ref: "eclipse-temurin:17-jdk", major: 17},
		{ref: "eclipse-temurin:17.0.9_9-jdk-jammy", major: 17},
		{ref: "eclipse-temurin:8u392-b08-jdk-focal", major: 8},
		{ref: "eclipse-temurin:21-jre-alpine", major: 21, jre: true},
		{ref: "amazoncorretto:17-al2023", major: 17},
		{ref: "sbtscala/scala-sbt:eclipse-temurin-21.0.6_7_1.10.11_2.13.16", major: 21},
		{ref: "sbtscala/scala-sbt:eclipse-temurin-jammy-17.0.10_7_1.9.9_3.4.0", major: 17},
		{ref: "hseeberger/scala-sbt:8u242_1.3.8_2.13.1", major: 8},
		{ref: "hseeberger/scala-sbt:11.0.6_1.3.8_2.13.1", major: 11},
		{ref: "sbtscala/scala-sbt:graalvm-ce-22.3.3-b1-java17_1.9.9_3.4.0", bad: true},
	} {
		j, why := javaBuilderJDK(ParseImage(c.ref, c.ref))
		if c.bad != (why != "") {
			t.Errorf("%s: why %q, want bad=%v", c.ref, why, c.bad)
			continue
		}
		if !c.bad && (j.Major != c.major || j.JRE != c.jre) {
			t.Errorf("%s: major %d jre %v, want %d %v", c.ref, j.Major, j.JRE, c.major, c.jre)
		}
	}
}

func TestJavaRuntime(t *testing.T) {
	for _, c := range []struct{ builder, want string }{
		{"maven:3.9.11-eclipse-temurin-25", "eclipse-temurin:25-jre"},
		{"maven:3.9.11-eclipse-temurin-25-noble", "eclipse-temurin:25-jre-noble"},
		{"maven:3-openjdk-17", "eclipse-temurin:17-jre"},
		{"maven:3.5.3-jdk-8", "eclipse-temurin:8-jre"},
		{"gradle:8.7.0-jdk21", "eclipse-temurin:21-jre"},
		{"gradle:7.4-jdk-alpine", "eclipse-temurin:17-jre-alpine"},
		{"openjdk:17", "eclipse-temurin:17-jre"},
		{"openjdk:8-jdk-alpine", "eclipse-temurin:8-jre-alpine"},
		{"eclipse-temurin:17-jdk", "eclipse-temurin:17-jre"},
		{"eclipse-temurin:17-jdk-jammy", "eclipse-temurin:17-jre-jammy"},
		{"eclipse-temurin:21-jdk-focal", "eclipse-temurin:21-jre-jammy"}, // no focal JRE for 21: newer, never older
		{"eclipse-temurin:17-jdk-ubi9-minimal", "eclipse-temurin:17-jre-ubi9-minimal"},
		{"maven:3.8.5-openjdk-16", ""}, // no JRE image for 16
		{"eclipse-temurin:27-jdk", ""},
		{"eclipse-temurin:17-jdk-windowsservercore-ltsc2022", ""},
	} {
		b := ParseImage(c.builder, c.builder)
		j, why := javaBuilderJDK(b)
		if why != "" {
			t.Fatalf("%s: %s", c.builder, why)
		}
		rt, _, why := javaRuntime(b, j)
		if c.want == "" {
			if why == "" {
				t.Errorf("%s: got %s, want a skip", c.builder, rt.Ref)
			}
			continue
		}
		if rt.Ref != c.want {
			t.Errorf("%s: got %q (%s), want %s", c.builder, rt.Ref, why, c.want)
		}
	}
}

func TestPomArtifact(t *testing.T) {
	for _, c := range []struct {
		name, pom string
		defs      map[string]string
		want      string
	}{
		{"artifactId-version", `<project><artifactId>demo</artifactId><version>1.2.0</version></project>`, nil, "target/demo-1.2.0.jar"},
		{"finalName", `<project><artifactId>demo</artifactId><version>1</version><build><finalName>app</finalName></build></project>`, nil, "target/app.jar"},
		{"finalName with references", `<project><artifactId>demo</artifactId><version>2.0</version><build><finalName>${project.artifactId}-${project.version}-fat</finalName></build></project>`, nil, "target/demo-2.0-fat.jar"},
		{"parent version", `<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>3.1.4</version></parent><artifactId>svc</artifactId></project>`, nil, "target/svc-3.1.4.jar"},
		{"war", `<project><artifactId>web</artifactId><version>1</version><packaging>war</packaging></project>`, nil, "target/web-1.war"},
		{"revision property", `<project><artifactId>a</artifactId><version>${revision}</version><properties><revision>1.0.0</revision></properties></project>`, nil, "target/a-1.0.0.jar"},
		{"revision from -D", `<project><artifactId>a</artifactId><version>${revision}</version><properties><revision>1.0.0</revision></properties></project>`, map[string]string{"revision": "9"}, "target/a-9.jar"},
		{"unresolved", `<project><artifactId>a</artifactId><version>${revision}</version></project>`, nil, ""},
		{"pom packaging", `<project><artifactId>a</artifactId><version>1</version><packaging>pom</packaging></project>`, nil, ""},
	} {
		p, err := ParsePom([]byte(c.pom))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Artifact(c.defs)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPomBundling(t *testing.T) {
	p, _ := ParsePom([]byte(`<project><build><plugins>
<plugin><artifactId>maven-jar-plugin</artifactId><configuration><archive><manifest>
<addClasspath>true</addClasspath><classpathPrefix>lib/</classpathPrefix></manifest></archive></configuration></plugin>
</plugins></build></project>`))
	if d := p.classpathDir(); d != "lib" {
		t.Errorf("classpathDir = %q, want lib", d)
	}
	if b := p.bundler(); b != "" {
		t.Errorf("bundler = %q, want none", b)
	}
	p, _ = ParsePom([]byte(`<project><build><plugins><plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build></project>`))
	if b := p.bundler(); b != "spring-boot-maven-plugin" {
		t.Errorf("bundler = %q", b)
	}
}

func TestCopyUnit(t *testing.T) {
	builds := []javaBuild{{Tool: "maven", Dir: "/app"}, {Tool: "gradle", Dir: "/g"}, {Tool: "jar", Dir: "/j", Writes: []string{"/j/main.jar"}}}
	for _, c := range []struct {
		p, unit string
		lone    bool
	}{
		{"/app/target/app.jar", "/app/target/app.jar", true},
		{"/app/target/server/bin/standalone.sh", "/app/target/server", false},
		{"/app/target/quarkus-app/quarkus-run.jar", "/app/target/quarkus-app", false},
		{"/app/module/target/m.jar", "/app/module/target/m.jar", true},
		{"/g/build/libs/app.jar", "/g/build/libs/app.jar", true},
		{"/g/build/install/app/bin/app", "/g/build/install/app", false},
		{"/app/target/universal/stage/bin/web", "/app/target/universal/stage", false},
		{"/g/sub/build/libs/s.jar", "/g/sub/build/libs/s.jar", true},
		{"/j/main.jar", "/j/main.jar", false},
		{"/app/run.sh", "", false},
	} {
		root, _, ok := outputRoot(builds, c.p)
		if !ok {
			if c.unit != "" {
				t.Errorf("%s: not a build output", c.p)
			}
			continue
		}
		unit, lone := copyUnit(root, c.p)
		if unit != c.unit || lone != c.lone {
			t.Errorf("%s: got %s %v, want %s %v", c.p, unit, lone, c.unit, c.lone)
		}
	}
}

func TestTransparentEntrypointSwap(t *testing.T) {
	conv := func(final, base []string) *Converted {
		img := &dockerspec.DockerOCIImage{}
		img.Config.Entrypoint = final
		return &Converted{Image: img, Base: BaseConfig{Entrypoint: base}}
	}
	mvn, cacert := []string{mavenEntrypoint}, []string{cacertEntrypoint}
	for _, c := range []struct {
		name string
		a, b *Converted
		want bool
	}{
		{"maven wrapper to temurin wrapper, both inherited", conv(mvn, mvn), conv(cacert, cacert), true},
		{"none to temurin wrapper", conv(nil, nil), conv(cacert, cacert), true},
		{"the Dockerfile set its own ENTRYPOINT", conv([]string{"java", "-jar", "a.jar"}, mvn), conv(cacert, cacert), false},
		{"a wrapper the table does not know", conv([]string{"docker-entrypoint.sh"}, []string{"docker-entrypoint.sh"}), conv(cacert, cacert), false},
		{"the rewrite sets its own", conv(mvn, mvn), conv([]string{"/x.sh"}, cacert), false},
	} {
		if got := transparentEntrypointSwap(c.a, c.b); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}
