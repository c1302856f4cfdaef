package emit

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// contextLines matches the default of git diff and diff -u, so reviewers see
// the same hunks they would get from those tools.
const contextLines = 3

// noNewline is the marker git and GNU patch both understand; without it a
// missing final newline would be silently added when the patch is applied.
const noNewline = "\\ No newline at end of file\n"

// Unified returns a unified diff from a to b with the given file names used as
// "--- a/<oldName>" and "+++ b/<newName>" headers, 3 lines of context, or nil when a and b are equal.
//
// The output is byte-exact: lines keep a trailing "\r" and invalid UTF-8, so
// `git apply` or `patch -p1` on a file holding a reproduces b exactly.
func Unified(oldName, newName string, a, b []byte) []byte {
	if bytes.Equal(a, b) {
		return nil
	}
	la, lb := splitLines(a), splitLines(b)
	changes := diffLines(la, lb)

	var out bytes.Buffer
	out.WriteString("--- ")
	out.WriteString(quoteName("a/" + oldName))
	out.WriteString("\n+++ ")
	out.WriteString(quoteName("b/" + newName))
	out.WriteByte('\n')

	for len(changes) > 0 {
		// GNU diff and git join changes whose context would touch or overlap
		// (a gap of at most 2*context equal lines) into one hunk.
		n := 1
		for n < len(changes) && changes[n].a0-changes[n-1].a1 <= 2*contextLines {
			n++
		}
		writeHunk(&out, la, lb, changes[:n])
		changes = changes[n:]
	}
	return out.Bytes()
}

// change says that a[a0:a1] was replaced by b[b0:b1]; at least one side is
// non-empty, and everything between consecutive changes is equal.
type change struct {
	a0, a1, b0, b1 int
}

func writeHunk(out *bytes.Buffer, la, lb [][]byte, group []change) {
	first, last := group[0], group[len(group)-1]
	startA := max(first.a0-contextLines, 0)
	endA := min(last.a1+contextLines, len(la))
	// The context around a group is equal on both sides, so the new-side
	// range is offset by the same amount of context as the old side.
	startB := first.b0 - (first.a0 - startA)
	endB := last.b1 + (endA - last.a1)

	out.WriteString("@@ -")
	writeRange(out, startA, endA-startA)
	out.WriteString(" +")
	writeRange(out, startB, endB-startB)
	out.WriteString(" @@\n")

	pos := startA
	for _, c := range group {
		writeLines(out, ' ', la[pos:c.a0])
		writeLines(out, '-', la[c.a0:c.a1])
		writeLines(out, '+', lb[c.b0:c.b1])
		pos = c.a1
	}
	writeLines(out, ' ', la[pos:endA])
}

// writeRange follows GNU diff: an empty range names the line before it
// (so an empty file is "0,0"), and a count of one is implied.
func writeRange(out *bytes.Buffer, start, count int) {
	switch count {
	case 0:
		out.WriteString(strconv.Itoa(start))
		out.WriteString(",0")
	case 1:
		out.WriteString(strconv.Itoa(start + 1))
	default:
		out.WriteString(strconv.Itoa(start + 1))
		out.WriteByte(',')
		out.WriteString(strconv.Itoa(count))
	}
}

func writeLines(out *bytes.Buffer, prefix byte, lines [][]byte) {
	for _, l := range lines {
		out.WriteByte(prefix)
		out.Write(l)
		// Only the last line of a side can lack "\n", so the marker can
		// never end up in the middle of a side.
		if len(l) == 0 || l[len(l)-1] != '\n' {
			out.WriteByte('\n')
			out.WriteString(noNewline)
		}
	}
}

// splitLines keeps each line's "\n" (and any "\r" before it) so that lines
// differing only in their ending compare unequal and are emitted verbatim.
func splitLines(s []byte) [][]byte {
	if len(s) == 0 {
		return nil
	}
	lines := make([][]byte, 0, bytes.Count(s, []byte{'\n'})+1)
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1:i+1])
		s = s[i+1:]
	}
	return lines
}

// maxRunes is how many distinct lines fit into valid runes (surrogates are
// skipped because they would not survive sergi's string conversions).
const maxRunes = utf8.MaxRune + 1 - (0xE000 - 0xD800)

func indexRune(i int) rune {
	if i >= 0xD800 {
		return rune(i + (0xE000 - 0xD800))
	}
	return rune(i)
}

// diffLines returns the changes turning la into lb.
//
// Lines are interned into our own table rather than via sergi's
// DiffLinesToChars: that would need the whole file as a string and
// re-splitting its output, and its rune encoding tops out at the same
// ~1.1M distinct lines. Sergi only ever sees valid runes, so invalid UTF-8
// in the files cannot be mangled by it.
func diffLines(la, lb [][]byte) []change {
	// Trimming the common ends first keeps the interned table, and the
	// rune budget, proportional to the edited region.
	pre := 0
	for pre < len(la) && pre < len(lb) && bytes.Equal(la[pre], lb[pre]) {
		pre++
	}
	endA, endB := len(la), len(lb)
	for endA > pre && endB > pre && bytes.Equal(la[endA-1], lb[endB-1]) {
		endA--
		endB--
	}
	ma, mb := la[pre:endA], lb[pre:endB]
	if len(ma) == 0 || len(mb) == 0 {
		return []change{{pre, endA, pre, endB}}
	}

	// A line present on one side only can never be part of the common
	// subsequence, so dropping it before diffing loses nothing, and it
	// turns a rewritten file into a linear-time diff instead of Myers'
	// O(N*D) worst case (the trick GNU diff calls discarding lines).
	ids := make(map[string]int, len(ma))
	idA := make([]int, len(ma))
	for i, l := range ma {
		id, ok := ids[string(l)]
		if !ok {
			id = len(ids)
			ids[string(l)] = id
		}
		idA[i] = id
	}
	runeOf := make([]int, len(ids)) // 0: only in a; else rune index + 1
	shared := 0
	keptB := make([]int, 0, len(mb))
	rb := make([]rune, 0, len(mb))
	for j, l := range mb {
		id, ok := ids[string(l)]
		if !ok {
			continue
		}
		if runeOf[id] == 0 {
			shared++
			runeOf[id] = shared
		}
		keptB = append(keptB, j)
		rb = append(rb, indexRune(runeOf[id]-1))
	}
	if shared > maxRunes {
		// Unreachable for real files; a single block is still a correct,
		// deterministic diff.
		return []change{{pre, endA, pre, endB}}
	}
	keptA := make([]int, 0, len(ma))
	ra := make([]rune, 0, len(ma))
	for i, id := range idA {
		if runeOf[id] != 0 {
			keptA = append(keptA, i)
			ra = append(ra, indexRune(runeOf[id]-1))
		}
	}

	dmp := diffmatchpatch.New()
	// The default one-second timeout makes large diffs depend on machine
	// speed; we want the same output everywhere.
	dmp.DiffTimeout = 0
	diffs := dmp.DiffMainRunes(ra, rb, false)

	// Every equal rune pairs a line of a with a line of b; whatever lies
	// between consecutive pairs is one change, deletions before insertions
	// as git and GNU diff print them.
	var changes []change
	ia, ib := 0, 0 // next unpaired line in ma, mb
	pa, pb := 0, 0 // position in ra, rb
	for _, d := range diffs {
		n := utf8.RuneCountInString(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			pa += n
		case diffmatchpatch.DiffInsert:
			pb += n
		case diffmatchpatch.DiffEqual:
			for k := 0; k < n; k++ {
				x, y := keptA[pa+k], keptB[pb+k]
				if x > ia || y > ib {
					changes = append(changes, change{pre + ia, pre + x, pre + ib, pre + y})
				}
				ia, ib = x+1, y+1
			}
			pa += n
			pb += n
		}
	}
	if ia < len(ma) || ib < len(mb) {
		changes = append(changes, change{pre + ia, pre + len(ma), pre + ib, pre + len(mb)})
	}
	return changes
}

// quoteName applies git's C-style quoting when a name holds bytes that
// would otherwise break the header line (a newline in a file name could
// inject lines into the patch). Ordinary names, including non-ASCII ones,
// are written as is, matching the plain "--- a/<name>" format.
func quoteName(name string) string {
	needs := false
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			needs = true
			break
		}
	}
	if !needs {
		return name
	}
	q := make([]byte, 0, len(name)+8)
	q = append(q, '"')
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '"', '\\':
			q = append(q, '\\', c)
		case '\a':
			q = append(q, '\\', 'a')
		case '\b':
			q = append(q, '\\', 'b')
		case '\t':
			q = append(q, '\\', 't')
		case '\n':
			q = append(q, '\\', 'n')
		case '\v':
			q = append(q, '\\', 'v')
		case '\f':
			q = append(q, '\\', 'f')
		case '\r':
			q = append(q, '\\', 'r')
		default:
			if c < 0x20 || c == 0x7f {
				q = append(q, '\\', '0'+(c>>6), '0'+((c>>3)&7), '0'+(c&7))
			} else {
				q = append(q, c)
			}
		}
	}
	return string(append(q, '"'))
}
