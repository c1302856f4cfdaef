package transform

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/stagesplit/stagesplit/parser"
)

// Mirrors BuildKit's SecretsUsedInArgOrEnv rule
// (frontend/dockerfile/dockerfile2llb/validations.go), so that what we keep
// out of the runtime is what BuildKit warns about.
var (
	secretDeny  = regexp.MustCompile(`(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)`)
	secretAllow = regexp.MustCompile(`(?i)(?:_|^)(?:public|file|version)(?:_|$)`)
)

// IsSecretName reports whether an ARG or ENV name looks like it holds a
// secret.
func IsSecretName(k string) bool { return secretDeny.MatchString(k) && !secretAllow.MatchString(k) }

// configKeywords are the instructions that only change the image config
// (and the build's state), never the filesystem.
var configKeywords = map[string]bool{
	"env": true, "arg": true, "workdir": true, "label": true, "expose": true, "volume": true,
	"stopsignal": true, "healthcheck": true, "shell": true, "user": true, "cmd": true,
	"entrypoint": true, "maintainer": true,
}

const builderName = "build"

// adduserRe finds Debian's adduser and addgroup in a RUN.
var adduserRe = regexp.MustCompile(`\b(adduser|addgroup)\b`)

var passSplit = &Pass{
	Name: "split",
	Doc: `Splits the stage into a builder and a runtime stage.
The original FROM becomes the builder stage "build" (or keeps its AS name). The runtime stage is
inserted after the last RUN, COPY or ADD: the instructions after that point (CMD, EXPOSE, ...) stay
where they are, byte for byte, and now belong to the runtime stage. The configuration set before
that point (ENV, ARG, WORKDIR, LABEL, EXPOSE, VOLUME, USER, ...) is restated in the runtime stage
in the same order, so the final image config is unchanged; a WORKDIR is added where the runtime
image's default differs. ENV and ARG whose names look like secrets (BuildKit's
SecretsUsedInArgOrEnv rule) are not carried into the runtime stage. A USER the Dockerfile creates
(its name expanded from ARG and ENV), or a user the container's entrypoint script switches to or
gives files to (gosu, su-exec, chown, runuser -u, chpst -u, s6-setuidgid), is created again by
repeating the RUN that made it, or that RUN's account commands alone when it also changes paths the
runtime does not have yet. The runtime FROM names the build arguments of the builder's FROM where
their default values stand in its tag (eclipse-temurin:${JAVA_VERSION}-jre), so a --build-arg
moves both stages; a builder image that is one build argument as a whole gets a warning. The
runtime's generated COPY --from and WORKDIR paths name a stage ARG whose default is that absolute
path (${APP_DIR}), unless the Dockerfile also writes the path literally. A directory the original chowned keeps its
owner: COPY --chown makes it before the WORKDIR that would make it root's, or a RUN chown gives the
runtime's working directory back to its user.`,
	Requires: []*Pass{passEffects},
	Run: func(u *Unit) error {
		p := u.Plan
		if p == nil {
			u.Skip(u.Stage.From.StartLine, "%s", unsupportedReason(u.Base))
			return nil
		}
		last := u.lastFileChanging()
		if last < 0 {
			u.Skip(u.Stage.From.StartLine, "no RUN, COPY or ADD: nothing is built")
			return nil
		}
		head, tail := u.Steps[:last+1], u.Steps[last+1:]
		f := u.File
		needs := u.runtimeNeeds()

		// The builder.
		from, name, err := u.nameBuilder()
		if err != nil {
			return err
		}
		if from == nil {
			return nil // skipped
		}
		var out []*parser.Instruction
		out = append(out, f.MetaArgs()...)
		out = append(out, from)
		for _, s := range head {
			for _, ins := range p.BuilderInserts {
				if ins.Before == s.In {
					out = append(out, u.annotate(ins.In, ins.Why))
					u.decide(ActAdd, ins.Line, 0, nil, "%s: %s", strings.Join(ins.In.Text, " "), ins.Why)
				}
			}
			out = append(out, s.In)
		}
		for _, g := range p.BuilderTail {
			out = append(out, u.annotate(g.In, g.Why))
			u.decide(ActAdd, g.Line, 0, nil, "%s: %s", firstText(g.In), g.Why)
		}

		for _, st := range p.Stages {
			sf := f.New("FROM", "FROM "+u.platformFlag()+u.Base.Ref+asWord(u.Stage.From)+st.Name)
			sf.Lead = []byte(f.Newline)
			out = append(out, u.annotate(sf, st.Why))
			u.decide(ActSplit, u.Stage.From.StartLine, 0, nil, "stage %s: %s", st.Name, st.Why)
			out = append(out, st.Instructions...)
		}

		// The runtime stage.
		if ref, used := u.followBuildArgs(p.Runtime); len(used) > 0 {
			p.Runtime.Ref = ref
			u.decide(ActSplit, u.Stage.From.StartLine, 0, nil, "runtime FROM %s names %s as the builder's FROM does: a --build-arg changes both", ref, strings.Join(used, ", "))
		}
		for _, m := range varRefRe.FindAllStringSubmatch(u.Base.Ref, -1) {
			if v := u.MetaEnv[m[1]]; strings.Contains(v, ":") && !strings.Contains(p.Runtime.Ref, "$") {
				u.Warn(u.Stage.From.StartLine, "the builder's image comes from ARG %s (%s by default); the runtime %s was chosen for that default: a --build-arg %s needs the runtime FROM changed too", m[1], v, p.Runtime.Ref, m[1])
				break
			}
		}
		rtFrom := f.New("FROM", "FROM "+u.platformFlag()+p.Runtime.Ref)
		rtFrom.Lead = []byte(f.Newline)
		out = append(out, u.annotate(rtFrom, "runtime stage, with only what the program needs from "+name))
		u.decide(ActSplit, u.Stage.From.StartLine, 0, nil, "runtime stage FROM %s: it receives only what the program needs by COPY --from=%s", p.Runtime.Ref, name)

		// A user the Dockerfile creates is created again where the original
		// did it, among the restated config (its mkdir may precede a
		// WORKDIR), and before the copies (a COPY --chown may name it).
		argPaths := u.argPaths(head)
		userRuns := map[*Step]bool{}
		accountRuns := map[*Step]string{} // a mixed user RUN's account commands alone
		who := needs.User
		whoWhat := "USER " + who
		account := u.userToCreate(needs)
		uid, _, _ := strings.Cut(needs.User, ":")
		named := needs.User // the group too: distroless has few
		if isNumeric(uid) {
			named = account
		}
		replay := account != "" && !knownUser(p.Runtime.Family, named)
		if replay && isNumeric(uid) {
			// USER 10001 of a user the Dockerfile made: without its passwd
			// entry HOME is / and its group 0.
			who, whoWhat = account, "the user "+account+" (uid "+uid+", whom USER names by number)"
		}
		if !replay {
			// An entrypoint script that drops to a user the Dockerfile
			// creates (exec gosu app "$@") needs the account as much.
			if users := u.scriptUsers(p.Runtime.Family); len(users) > 0 {
				who, replay = users[0], true
				whoWhat = "the user " + who + " (a script the container runs switches to it or gives it files)"
			}
		}
		if replay {
			pure, mixed := u.userSetupRuns()
			replayedUser := false // a RUN the runtime repeats whole creates it
			mixed = slices.DeleteFunc(mixed, func(s *Step) bool {
				r := p.Replays[s.In] != ""
				replayedUser = replayedUser || r
				return r
			})
			for _, s := range mixed {
				text, ok := u.accountOnlyRun(s)
				if !ok {
					u.Skip(s.In.StartLine, "%s is created by a RUN that also does other work: cannot repeat it in the runtime stage alone", whoWhat)
					return nil
				}
				accountRuns[s] = text
			}
			if len(pure) == 0 && len(accountRuns) == 0 && !replayedUser {
				u.Skip(needs.UserLine, "USER %s is not created by this Dockerfile and may not exist in %s", needs.User, p.Runtime.Ref)
				return nil
			}
			for _, s := range pure {
				userRuns[s] = true
			}
		}
		userWhy := map[*Step]string{}
		if why, line := u.chownOwners(p, userRuns, userWhy, accountRuns); why != "" {
			u.Skip(line, "%s", why)
			return nil
		}
		var restated []*parser.Instruction
		workdirOf := map[*parser.Instruction]string{} // the runtime's WORKDIRs, by their path
		absWorkdir := map[*parser.Instruction]bool{}  // restated WORKDIRs with an absolute path
		var restatedLines []int
		movedWorkdir := map[string]bool{} // WORKDIRs a COPY --chown now makes
		rtConfig, _ := ConfigOf(p.Runtime)
		runtimeBaseDir := normDir(rtConfig.WorkingDir)
		var deferredUser *Step
		var deferredShell []*Step
		adduserReady := false
		needAdduser := func(text string) {
			// Debian's slim images dropped the adduser package in trixie:
			// adduser and addgroup need it installed first.
			// The eclipse-temurin images on Ubuntu 24.04 lack it too
			// (adoptium/containers#606); jammy and focal still have it.
			lacks := p.Runtime.Release == "trixie" || p.Runtime.Family == "eclipse-temurin" && p.Runtime.Release != "jammy" && p.Runtime.Release != "focal"
			if adduserReady || !lacks || p.Runtime.Libc == "musl" {
				return
			}
			if !adduserRe.MatchString(text) {
				return
			}
			adduserReady = true
			in := f.New("RUN", "RUN apt-get update", "    && apt-get install -y --no-install-recommends adduser", "    && rm -rf /var/lib/apt/lists/*")
			restated = append(restated, u.annotate(in, p.Runtime.Ref+" lacks the adduser package the next RUN uses"))
			u.decide(ActAdd, 0, 0, nil, "RUN apt-get install adduser: %s lacks adduser and addgroup (trixie's slim images and the Ubuntu temurin images leave the package out)", p.Runtime.Ref)
		}
		for _, s := range head {
			if text := accountRuns[s]; text != "" {
				needAdduser(text)
				restated = append(restated, u.annotate(f.New("RUN", text), "creates "+whoWhat+" again; the chown and mkdir of app paths in the same RUN are the copies' business"))
				u.decide(ActAdd, s.In.StartLine, 0, nil, "%s: the account commands of line %d, which also changes app paths the runtime receives by COPY, with their owners", text, s.In.StartLine)
				continue
			}
			if userRuns[s] {
				needAdduser(string(s.In.Raw))
				why := userWhy[s]
				if why == "" {
					why = "creates " + whoWhat + " again"
				}
				restated = append(restated, u.annotate(cloneRaw(s.In), why))
				u.decide(ActAdd, s.In.StartLine, 0, nil, "repeats line %d in the runtime stage: it %s", s.In.StartLine, strings.TrimSuffix(why, " again"))
				continue
			}
			if why := p.Replays[s.In]; why != "" {
				restated = append(restated, u.annotate(cloneRaw(s.In), why))
				u.decide(ActAdd, s.In.StartLine, 0, nil, "repeats line %d in the runtime stage: %s", s.In.StartLine, why)
				continue
			}
			if !configKeywords[s.In.Keyword] {
				continue
			}
			if s.In.Keyword == "user" {
				deferredUser = s
				continue
			}
			if s.In.Keyword == "shell" {
				// The shell may be one the runtime installs (apk add bash).
				deferredShell = append(deferredShell, s)
				continue
			}
			in, ok := u.restate(s)
			if ok && in != nil {
				restated = append(restated, in)
				restatedLines = append(restatedLines, s.In.StartLine)
				if w, isWd := s.In.Command.(*instructions.WorkdirCommand); isWd {
					lex := shell.NewLex(u.File.Escape)
					if x, _, err := lex.ProcessWord(w.Path, s.Env); err == nil && !strings.Contains(x, "$") {
						workdirOf[in] = Resolve(s.Workdir, x)
						absWorkdir[in] = path.IsAbs(w.Path)
					}
				}
			}
		}
		restated = u.dropPassedWorkdirs(restated, absWorkdir)
		if len(restatedLines) > 0 {
			// The lines go in the decision's line and related lines, not its
			// message, so that report fingerprints survive lines added above.
			u.decide(ActAdd, restatedLines[0], 0, restatedLines[1:], "restates the configuration set before the split point (%d instruction(s)) in the runtime stage: a new stage starts from its base image's", len(restatedLines))
		}
		if wd := u.runtimeWorkdir(p.Runtime, head, tail); wd != "" {
			in := f.New("WORKDIR", "WORKDIR "+withArgs(wd, argPaths))
			workdirOf[in] = wd
			out = append(out, u.annotate(in, "the original image runs in "+wd))
			u.decide(ActAdd, u.Stage.From.StartLine, 0, nil, "WORKDIR %s: the original image runs in %s and the runtime image's default differs", wd, wd)
		}
		for _, in := range restated {
			if configKeywords[in.Keyword] { // the first config instruction, not a repeated RUN or COPY
				u.annotate(in, "configuration restated from the build stage (a new stage starts clean)")
				break
			}
		}
		out = append(out, restated...)
		for _, g := range p.RuntimeRuns {
			out = append(out, u.annotate(g.In, g.Why))
			u.decide(ActAdd, g.Line, 0, nil, "%s: %s", firstText(g.In), g.Why)
		}
		for _, s := range deferredShell {
			out = append(out, cloneRaw(s.In))
			u.decide(ActAdd, s.In.StartLine, 0, nil, "restates SHELL from line %d after the runtime's package installs, which may provide it", s.In.StartLine)
		}
		for _, c := range u.withoutNestedCopies(p.Copies) {
			if c.Replay != nil {
				out = append(out, u.annotate(cloneRaw(c.Replay), c.Why))
				u.decide(ActAdd, c.Line, 0, nil, "repeats line %d in the runtime stage: %s", c.Line, c.Why)
				continue
			}
			from := name
			if c.From != "" {
				from = c.From
			}
			chown := ""
			if c.Chown == "" {
				c.Chown, c.Line = u.recursiveChown(c.Src, c.Line)
			}
			if c.Chown != "" {
				chown = "--chown=" + c.Chown + " "
				if !strings.Contains(c.Why, "owned by") {
					c.Why += "; owned by " + c.Chown + " as the original's chown left it"
				}
			}
			cp := u.annotate(f.New("COPY", fmt.Sprintf("COPY --from=%s %s%s %s", from, chown, quotePath(withArgs(c.Src, argPaths)), quotePath(withArgs(c.Dst, argPaths)))), c.Why)
			out = append(out, cp)
			if chown != "" {
				var moved bool
				if out, moved = u.workdirAfterChown(out, workdirOf, path.Clean(c.Dst), runtimeBaseDir); moved {
					movedWorkdir[path.Clean(c.Dst)] = true
				}
			}
			u.decide(ActAdd, c.Line, 0, nil, "COPY --from=%s %s: %s", from, c.Src, c.Why)
		}
		if in := u.chownWorkdir(p, movedWorkdir); in != nil {
			out = append(out, in)
		}
		for _, g := range p.RuntimeTail {
			out = append(out, u.annotate(g.In, g.Why))
			u.decide(ActAdd, g.Line, 0, nil, "%s: %s", firstText(g.In), g.Why)
		}
		if deferredUser != nil {
			out = append(out, u.annotate(cloneRaw(deferredUser.In), "the same user as the original, after the copies"))
			u.decide(ActAdd, deferredUser.In.StartLine, 0, nil, "restates USER from line %d after the copies, so the runtime runs as the same user", deferredUser.In.StartLine)
		}
		for _, s := range tail {
			in, ok := u.keepTail(s)
			if ok {
				out = append(out, in)
			}
		}
		f.Instructions = out
		return nil
	},
}

// nameBuilder returns the FROM of the builder with its AS name.
func (u *Unit) nameBuilder() (*parser.Instruction, string, error) {
	in := u.Stage.From
	st := u.Stage.Base()
	if st.Name != "" {
		if st.Name != strings.ToLower(st.Name) {
			u.Skip(in.StartLine, "the stage name %q is not lowercase (BuildKit's StageNameCasing): fix it first", st.Name)
			return nil, "", nil
		}
		u.decide(ActSplit, in.StartLine, 0, nil, "builder stage keeps its name %q and the toolchain image %s", st.Name, u.Base.Expanded)
		return in, st.Name, nil
	}
	as := asWord(in)
	raw := string(in.Raw)
	body := strings.TrimRight(raw, "\r\n")
	if strings.Contains(body, "\n") {
		// A FROM over several lines: write it again on one.
		edited := u.File.Edited(in, strings.TrimSpace(in.Node.Original)+as+builderName)
		u.decide(ActSplit, in.StartLine, 0, nil, "builder stage %q keeps the toolchain image %s", builderName, u.Base.Expanded)
		return edited, builderName, nil
	}
	body = strings.TrimRight(body, " \t")
	n := &parser.Instruction{
		Keyword: in.Keyword, Node: in.Node, Command: in.Command,
		StartLine: in.StartLine, EndLine: in.EndLine, Lead: in.Lead,
		Raw: []byte(body + as + builderName + raw[len(strings.TrimRight(raw, "\r\n")):]),
	}
	u.decide(ActSplit, in.StartLine, 0, nil, "builder stage %q keeps the toolchain image %s", builderName, u.Base.Expanded)
	return n, builderName, nil
}

// asWord is " AS " in the case of the FROM keyword (BuildKit's
// FromAsCasing rule).
func asWord(from *parser.Instruction) string {
	if strings.HasPrefix(strings.TrimSpace(string(from.Raw)), "from") {
		return " as "
	}
	return " AS "
}

func (u *Unit) platformFlag() string {
	if p := u.Stage.Base().Platform; p != "" {
		return "--platform=" + p + " "
	}
	return ""
}

// declaredVars reports whether every variable w names is set by an ARG or
// ENV of the stage before s, which the runtime stage restates before it
// (so WORKDIR ${APP_HOME} still follows a --build-arg).
func (u *Unit) declaredVars(s *Step, w string) bool {
	for _, m := range varRefRe.FindAllStringSubmatch(w, -1) {
		found := false
		for _, x := range u.Steps {
			if x == s {
				break
			}
			switch c := x.In.Command.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					found = found || kv.Key == m[1] && !IsSecretName(kv.Key)
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					found = found || kv.Key == m[1] && !IsSecretName(kv.Key)
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// argPaths maps absolute path defaults of the stage's ARGs before the split
// point to their names, so that the runtime's generated paths follow a
// --build-arg as the original's did. An ARG whose value the Dockerfile
// also writes literally elsewhere is left out: which occurrence came from
// the variable cannot be told.
func (u *Unit) argPaths(head []*Step) map[string]string {
	out := map[string]string{}
	lines := strings.Split(string(u.File.Source), "\n")
	for _, s := range head {
		c, ok := s.In.Command.(*instructions.ArgCommand)
		if !ok {
			continue
		}
		for _, kv := range c.Args {
			v, ok := s.Env.Get(kv.Key)
			if kv.Value != nil {
				// ARG APP_HOME=${APP_ROOT}/web: its value where it is set.
				v, ok = expandWord(s, Command{}, *kv.Value)
			}
			if !ok || len(v) < 2 || !path.IsAbs(v) || strings.ContainsAny(v, "$ ") || IsSecretName(kv.Key) {
				continue
			}
			v = path.Clean(v)
			literal := false
			for i, l := range lines {
				if i+1 >= s.In.StartLine && i+1 <= s.In.EndLine {
					continue
				}
				literal = literal || strings.Contains(l, v)
			}
			if !literal {
				out[v] = kv.Key
			}
		}
	}
	return out
}

// withArgs writes p with the ARG whose default it starts with.
func withArgs(p string, args map[string]string) string {
	best := ""
	for v := range args {
		if (p == v || strings.HasPrefix(p, v+"/")) && len(v) > len(best) {
			best = v
		}
	}
	if best == "" {
		return p
	}
	return "${" + args[best] + "}" + p[len(best):]
}

// restate copies a config instruction of the builder into the runtime
// stage, without its secret-looking variables.
func (u *Unit) restate(s *Step) (*parser.Instruction, bool) {
	switch c := s.In.Command.(type) {
	case *instructions.WorkdirCommand:
		// WORKDIR $GOPATH/src/app names a variable of the builder's image
		// that the runtime image may not have: restate the path it meant.
		if strings.Contains(c.Path, "$") && !u.declaredVars(s, c.Path) {
			lex := shell.NewLex(u.File.Escape)
			if w, _, err := lex.ProcessWord(c.Path, s.Env); err == nil && !strings.Contains(w, "$") {
				return u.File.New("WORKDIR", "WORKDIR "+Resolve(s.Workdir, w)), true
			}
		}
	case *instructions.EnvCommand:
		keep, dropped := splitSecrets(c)
		if len(dropped) == 0 {
			return cloneRaw(s.In), true
		}
		u.decide(ActWarn, s.In.StartLine, 0, nil, "ENV %s not carried into the runtime stage: the name looks like a secret; pass it at run time (docker run -e) or use RUN --mount=type=secret", strings.Join(dropped, ", "))
		if len(keep) == 0 {
			return nil, true
		}
		return u.File.New("ENV", "ENV "+strings.Join(keep, " ")), true
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			if IsSecretName(kv.Key) {
				if len(c.Args) > 1 {
					u.Skip(s.In.StartLine, "ARG declares a secret-looking %s together with other ARGs: split the line first", kv.Key)
					return nil, false
				}
				u.decide(ActWarn, s.In.StartLine, 0, nil, "ARG %s stays in the builder: the name looks like a secret", kv.Key)
				return nil, true
			}
		}
	}
	return cloneRaw(s.In), true
}

// keepTail keeps an instruction after the split point in place, dropping
// secret-looking ENV and ARG.
func (u *Unit) keepTail(s *Step) (*parser.Instruction, bool) {
	switch c := s.In.Command.(type) {
	case *instructions.EnvCommand:
		keep, dropped := splitSecrets(c)
		if len(dropped) == 0 {
			return s.In, true
		}
		u.decide(ActDrop, s.In.StartLine, 0, nil, "ENV %s removed from the runtime stage: the name looks like a secret; pass it at run time (docker run -e) or use RUN --mount=type=secret", strings.Join(dropped, ", "))
		if len(keep) == 0 {
			return nil, false
		}
		return u.File.Edited(s.In, "ENV "+strings.Join(keep, " ")), true
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			if IsSecretName(kv.Key) {
				u.decide(ActDrop, s.In.StartLine, 0, nil, "ARG %s removed from the runtime stage: the name looks like a secret", kv.Key)
				return nil, false
			}
		}
	}
	return s.In, true
}

// runtimeWorkdir returns the WORKDIR to add at the top of the runtime
// stage, or "" when the runtime already ends in the original's directory.
func (u *Unit) runtimeWorkdir(rt Image, head, tail []*Step) string {
	bcfg, _ := ConfigOf(u.Base)
	rcfg, _ := ConfigOf(rt)
	norm := func(s string) string {
		if s == "" {
			return "/"
		}
		return s
	}
	if norm(bcfg.WorkingDir) == norm(rcfg.WorkingDir) {
		return ""
	}
	for _, s := range append(append([]*Step{}, head...), tail...) {
		if w, ok := s.In.Command.(*instructions.WorkdirCommand); ok {
			if strings.HasPrefix(w.Path, "/") {
				return "" // the first WORKDIR is absolute: the base's default no longer matters
			}
			break
		}
	}
	return norm(bcfg.WorkingDir)
}

// splitSecrets returns an ENV's assignments without the secret-looking
// ones (as KEY=value words), and the names it left out.
func splitSecrets(c *instructions.EnvCommand) (keep, dropped []string) {
	for _, kv := range c.Env {
		if IsSecretName(kv.Key) {
			dropped = append(dropped, kv.Key)
			continue
		}
		keep = append(keep, kv.Key+"="+quoteValue(kv.Value))
	}
	return keep, dropped
}

// dropPassedWorkdirs leaves out a restated WORKDIR that only leads to the
// next one (WORKDIR /src, WORKDIR /src/app, WORKDIR /app): no RUN, COPY or
// ADD of the runtime stage works there, and the next WORKDIR names an
// absolute path, so it would only make empty directories.
func (u *Unit) dropPassedWorkdirs(restated []*parser.Instruction, abs map[*parser.Instruction]bool) []*parser.Instruction {
	var out []*parser.Instruction
	for i, in := range restated {
		if in.Keyword == "workdir" {
			passed := false
			for _, next := range restated[i+1:] {
				if next.Keyword == "run" || next.Keyword == "copy" || next.Keyword == "add" {
					break
				}
				if next.Keyword == "workdir" {
					passed = abs[next]
					break
				}
			}
			if passed {
				continue
			}
		}
		out = append(out, in)
	}
	return out
}

// chownWorkdir gives the runtime's working directory, and the directories
// above it the same chown covered, the owner the original's chown gave
// them, unless a COPY --chown made it (moved): WORKDIR creates directories
// root's, and a program running as that user may write there.
func (u *Unit) chownWorkdir(p *Plan, moved map[string]bool) *parser.Instruction {
	wd := normDir(u.finalWorkdir())
	if wd == "" || wd == "/" || moved[wd] {
		return nil
	}
	owner, line := u.recursiveChown(wd, 0)
	why := fmt.Sprintf("line %d gave the working directory to %s", line, owner)
	if owner == "" {
		// BuildKit creates a WORKDIR as the USER in force (dockerfile2llb:
		// mkdir WithUser), so a WORKDIR after USER node is node's.
		owner, line = u.workdirCreator(wd)
		if owner == "" {
			return nil
		}
		why = fmt.Sprintf("line %d created the working directory as USER %s", line, owner)
	}
	dirs := []string{wd}
	for d := path.Dir(wd); d != "/" && d != "."; d = path.Dir(d) {
		if o, _ := u.recursiveChown(d, 0); o != owner {
			break
		}
		dirs = append([]string{d}, dirs...)
	}
	if p.Runtime.Family == "distroless" || p.Runtime.Ref == "scratch" {
		u.Warn(line, "line %d gives %s to %s, but %s has no shell to do the same: the directory stays root's in the runtime", line, wd, owner, p.Runtime.Ref)
		return nil
	}
	var quoted []string
	for _, d := range dirs {
		quoted = append(quoted, quotePath(d))
	}
	u.decide(ActAdd, line, 0, nil, "RUN chown %s %s: %s, and the runtime's WORKDIR, before USER, creates it root's", owner, strings.Join(dirs, " "), why)
	return u.annotate(u.File.New("RUN", "RUN chown "+owner+" "+strings.Join(quoted, " ")), "the working directory's owner, as in the original")
}

// workdirCreator is the non-root USER in force at the first WORKDIR that
// names dir, which BuildKit creates as that user, or "".
func (u *Unit) workdirCreator(dir string) (string, int) {
	for _, s := range u.Steps {
		w, ok := s.In.Command.(*instructions.WorkdirCommand)
		if !ok || normDir(Resolve(s.Workdir, w.Path)) != dir {
			continue
		}
		user, _ := u.userAt(s)
		if user == "" || normUser(user) == "0" || user == "root" || strings.Contains(user, "$") || u.madeBefore(s, dir) {
			return "", 0
		}
		// A COPY before it made the directory (COPY --chown=app . /app).
		lex := shell.NewLex(u.File.Escape)
		for _, x := range u.Steps {
			if x == s {
				break
			}
			var dest string
			switch c := x.In.Command.(type) {
			case *instructions.CopyCommand:
				dest = c.DestPath
			case *instructions.AddCommand:
				dest = c.DestPath
			default:
				continue
			}
			if d, _, err := lex.ProcessWord(dest, x.Env); err == nil {
				if _, in := under(Resolve(x.Workdir, d), dir); in {
					return "", 0
				}
			}
		}
		return user, s.In.StartLine
	}
	return "", 0
}

// workdirAfterChown moves a WORKDIR of the runtime stage that creates dst
// to after the COPY --chown just appended: a directory WORKDIR made stays
// root's, since COPY changes the owner of what it copies into a directory
// but not of the directory; a COPY that makes the directory gives it the
// owner. It does not move past a RUN of the original's, which may depend
// on the directory; the package installs the rewrite adds do not.
func (u *Unit) workdirAfterChown(out []*parser.Instruction, workdirOf map[*parser.Instruction]string, dst, baseDir string) ([]*parser.Instruction, bool) {
	last := len(out) - 1
	for i := last - 1; i >= 0; i-- {
		in := out[i]
		if in.Keyword == "from" {
			// No WORKDIR made it first: the COPY does, with the owner,
			// unless the runtime image has it already.
			return out, dst != baseDir
		}
		if in.Keyword == "run" && in.Raw != nil || in.Keyword == "copy" && in.Raw != nil {
			return out, false
		}
		if workdirOf[in] != dst {
			continue
		}
		moved := append(append(append([]*parser.Instruction{}, out[:i]...), out[i+1:]...), in)
		u.decide(ActAdd, 0, 0, nil, "WORKDIR %s after the COPY --chown that makes it: a directory WORKDIR creates stays root's, one the COPY creates gets the owner the original's chown gave it", dst)
		return moved, true
	}
	return out, false
}

// chownOwners makes sure the runtime has every user and group a COPY
// --chown names: one a RUN of nothing but user setup creates is created
// again (userRuns), one made with other work is named by the number the
// RUN gave it; otherwise the reason is returned. BuildKit resolves the
// names in the runtime's /etc/passwd and fails the build without them.
func (u *Unit) chownOwners(p *Plan, userRuns map[*Step]bool, userWhy map[*Step]string, accountRuns map[*Step]string) (string, int) {
	pure, _ := u.userSetupRuns()
	isPure := map[*Step]bool{}
	for _, s := range pure {
		isPure[s] = true
	}
	for i := range p.Copies {
		c := &p.Copies[i]
		if c.Replay != nil {
			continue
		}
		if c.Chown == "" {
			owner, line := u.recursiveChown(c.Src, c.Line)
			if owner == "" {
				continue
			}
			c.Chown, c.Line = owner, line
		}
		user, group, hasGroup := strings.Cut(c.Chown, ":")
		names := []*string{&user}
		if hasGroup {
			names = append(names, &group)
		}
		for _, name := range names {
			n := *name
			if n == "" || isNumeric(n) || strings.Contains(n, "$") || knownUser(p.Runtime.Family, n) {
				continue
			}
			s, id := u.accountMaker(n)
			switch {
			case s == nil:
				return fmt.Sprintf("COPY --chown=%s names %s, which this Dockerfile does not create and %s may lack", c.Chown, n, p.Runtime.Ref), c.Line
			case p.Replays[s.In] != "" || userRuns[s]:
			case isPure[s]:
				userRuns[s] = true
				userWhy[s] = "creates " + n + ", whom a COPY --chown names"
			case accountRuns[s] != "":
			case id != "":
				*name = id
			default:
				text, ok := u.accountOnlyRun(s)
				if !ok {
					return fmt.Sprintf("COPY --chown=%s needs %s in the runtime stage, and line %d creates it together with other work: cannot repeat it alone", c.Chown, n, s.In.StartLine), s.In.StartLine
				}
				accountRuns[s] = text
			}
		}
		c.Chown = user
		if hasGroup {
			c.Chown += ":" + group
		}
	}
	return "", 0
}

// followBuildArgs writes the runtime image's tag with the build arguments
// the builder's FROM uses, where their default values stand in it as
// whole dash-separated parts (maven:3.9-eclipse-temurin-${JAVA_VERSION} ->
// eclipse-temurin:${JAVA_VERSION}-jre; sdk:${DOTNET_VERSION} ->
// aspnet:${DOTNET_VERSION}), so that a --build-arg keeps the two stages
// on the same version. used lists the variables put in.
func (u *Unit) followBuildArgs(rt Image) (ref string, used []string) {
	ref = rt.Ref
	i := strings.LastIndex(ref, ":")
	if strings.ContainsAny(ref, "$@") || i <= strings.LastIndex(ref, "/") {
		return ref, nil
	}
	name, tag := ref[:i], ref[i+1:]
	seen := map[string]bool{}
	for _, m := range varRefRe.FindAllStringSubmatch(u.Base.Ref, -1) {
		k := m[1]
		v := u.MetaEnv[k]
		if seen[k] || v == "" {
			continue
		}
		seen[k] = true
		parts := strings.Split(tag, "-")
		at, n := -1, 0
		for j := range parts {
			for l := j + 1; l <= len(parts); l++ {
				if strings.Join(parts[j:l], "-") == v {
					at, n = j, l-j
				}
			}
		}
		if at < 0 || strings.Count("-"+tag+"-", "-"+v+"-") != 1 {
			continue // absent, or ambiguous
		}
		parts = append(parts[:at], append([]string{"${" + k + "}"}, parts[at+n:]...)...)
		tag = strings.Join(parts, "-")
		used = append(used, k)
	}
	return name + ":" + tag, used
}

// scriptUsers are the users that the scripts of the build context the
// container runs switch to or give files to (gosu app, su-exec app:app,
// chown -R app:app, runuser -u app, chpst -u app, s6-setuidgid app),
// which this Dockerfile creates and the runtime image lacks: the script
// fails on a name missing from /etc/passwd.
// finalEnv is the ENV and ARG view the container runs with: the last
// step's (a zero view when the stage has none).
func (u *Unit) finalEnv() EnvView {
	if len(u.Steps) == 0 {
		return EnvView{}
	}
	return u.Steps[len(u.Steps)-1].Env
}

func (u *Unit) scriptUsers(family string) []string {
	var out []string
	seen := map[string]bool{}
	env := u.finalEnv()
	add := func(owner string) {
		owner = expandVars(owner, env, nil)
		for i, n := range strings.SplitN(owner, ":", 2) {
			if i == 0 && isNumeric(n) {
				n = u.accountByID(n) // gosu 1000:1000: HOME comes from its passwd entry
			}
			if n == "" || seen[n] || strings.ContainsAny(n, "$`") || knownUser(family, n) {
				continue
			}
			seen[n] = true
			if s, _ := u.accountMaker(n); s != nil {
				out = append(out, n)
			}
		}
	}
	for _, c := range u.scriptCommands(u.containerCommands()) {
		ops := nonFlags(c.Args[1:])
		switch c.Name() {
		case "gosu", "su-exec", "s6-setuidgid", "chown":
			if len(ops) > 0 {
				add(ops[0])
			}
		case "runuser", "chpst":
			if v, ok := optValue(c.Args[1:], 'u', "--user"); ok {
				add(v)
			}
		}
	}
	return out
}

// accountByID is the user the Dockerfile creates with the numeric id uid
// (useradd -u 1000 app), or "": USER 1000 and gosu 1000:1000 run as it,
// with its home from /etc/passwd.
func (u *Unit) accountByID(uid string) string {
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			if c.Name() != "useradd" && c.Name() != "adduser" {
				continue
			}
			args := expandedArgs(s, c).Args
			if v, ok := optValue(args[1:], 'u', "--uid"); ok && v == uid && len(args) > 1 {
				if name := args[len(args)-1]; !strings.HasPrefix(name, "-") {
					return name
				}
			}
		}
	}
	return ""
}

// accountMaker finds the step that creates the user or group name
// (useradd, adduser, groupadd, addgroup), with the number it gives it.
func (u *Unit) accountMaker(name string) (*Step, string) {
	valued := map[string]bool{"-u": true, "--uid": true, "-g": true, "--gid": true, "-G": true, "--groups": true,
		"-d": true, "--home-dir": true, "--home": true, "-h": true, "-s": true, "--shell": true, "-c": true, "--comment": true,
		"--gecos": true, "--ingroup": true, "-k": true, "-K": true, "-p": true, "-e": true, "-f": true, "-b": true}
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			switch c.Name() {
			case "useradd", "adduser", "groupadd", "addgroup":
			default:
				continue
			}
			var ops []string
			id := ""
			// useradd ${APP_USER}: the ARG's value names the account.
			args := expandedArgs(s, c).Args
			for i := 1; i < len(args); i++ {
				a := args[i]
				if valued[a] && i+1 < len(args) {
					if (a == "-u" || a == "--uid") && c.Name() != "groupadd" && c.Name() != "addgroup" ||
						(a == "-g" || a == "--gid") && (c.Name() == "groupadd" || c.Name() == "addgroup") {
						id = args[i+1]
					}
					i++
					continue
				}
				if !strings.HasPrefix(a, "-") {
					ops = append(ops, a)
				}
			}
			if len(ops) > 0 && ops[len(ops)-1] == name || len(ops) == 1 && ops[0] == name {
				if !isNumeric(id) {
					id = ""
				}
				return s, id
			}
		}
	}
	return nil, ""
}

func cloneRaw(in *parser.Instruction) *parser.Instruction {
	raw := append([]byte(nil), in.Raw...)
	if in.Raw == nil {
		return &parser.Instruction{Keyword: in.Keyword, Text: append([]string(nil), in.Text...), Command: in.Command}
	}
	return &parser.Instruction{Keyword: in.Keyword, Raw: raw, Command: in.Command, Node: in.Node}
}

// annotate puts a one-line comment with the first clause of why above a
// generated instruction, when asked to.
func (u *Unit) annotate(in *parser.Instruction, why string) *parser.Instruction {
	if !u.Opts.Annotate {
		return in
	}
	if i := strings.Index(why, "; "); i > 0 {
		why = why[:i]
	}
	if i := strings.Index(why, ": "); i > 0 && len(why) > 100 {
		why = why[:i]
	}
	if len(why) > 100 {
		why = why[:97] + "..."
	}
	in.Lead = append(append([]byte(nil), in.Lead...), "# stagesplit: "+why+u.File.Newline...)
	return in
}

// firstText is a generated instruction's first line, for messages.
func firstText(in *parser.Instruction) string {
	if len(in.Text) == 0 {
		return strings.ToUpper(in.Keyword)
	}
	first := strings.TrimRight(in.Text[0], " \\`")
	if len(in.Text) > 1 {
		first += " ..."
	}
	return first
}

func quotePath(p string) string {
	if strings.ContainsAny(p, " \t\"'") {
		return fmt.Sprintf("%q", p)
	}
	return p
}

func quoteValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"'\\$") {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// recursiveChown is the owner the last `chown [-R] OWNER dir` of the stage
// gave dir, and its line (line is returned unchanged when there is none).
func (u *Unit) recursiveChown(dir string, line int) (string, int) {
	owner := ""
	for _, s := range u.Steps {
		for _, c := range s.Commands {
			// A plain chown of the directory counts too: what matters is
			// its owner (it is mostly one a mkdir just made, empty).
			if c.Name() != "chown" {
				continue
			}
			var words []string
			for _, a := range c.Args[1:] {
				w := expandVars(a, s.Env, c.Env) // chown -R airflow: ${AIRFLOW_HOME}
				if strings.ContainsAny(w, "$`") {
					words = nil
					break
				}
				words = append(words, w)
			}
			if words == nil {
				continue
			}
			args := nonFlags(words)
			if len(args) < 2 {
				continue
			}
			recursive := hasFlag(c.Args, "-R", "--recursive")
			// chown USER: means USER and their login group; COPY --chown=USER
			// takes the same number for the group, as useradd gives it.
			who := strings.TrimSuffix(args[0], ":")
			for _, p := range args[1:] {
				if path.Clean(Resolve(c.Dir, p)) == dir {
					owner, line = who, s.In.StartLine
				} else if _, ok := under(dir, path.Clean(Resolve(c.Dir, p))); ok && recursive {
					owner, line = who, s.In.StartLine // chown -R of a parent
				}
			}
		}
	}
	return owner, line
}

// withoutNestedCopies drops a COPY --from whose source another one copies
// already, to the matching place with the same owner (a config file the
// command names, inside the config/ directory copied as an asset).
func (u *Unit) withoutNestedCopies(copies []Copy) []Copy {
	owner := func(c Copy) string {
		if c.Chown != "" {
			return c.Chown
		}
		o, _ := u.recursiveChown(c.Src, c.Line)
		return o
	}
	var out []Copy
	for i, c := range copies {
		nested := false
		for j, o := range copies {
			if i == j || c.Replay != nil || o.Replay != nil || c.From != o.From {
				continue
			}
			rel, in := under(path.Clean(c.Src), path.Clean(o.Src))
			if in && rel != "." && path.Clean(c.Dst) == path.Join(o.Dst, rel) && owner(c) == owner(o) {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, c)
		}
	}
	return out
}
