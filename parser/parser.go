// Package parser reads a Dockerfile into a model that keeps every byte of
// the source, on top of BuildKit's own parser.
//
// BuildKit's AST is the authority on what an instruction is and where it
// starts and ends; this package only adds what BuildKit throws away for
// printing: the exact source lines of every instruction (continuations,
// inner comments and heredoc bodies included), the comments and blank lines
// above it, the byte-order mark, the line-ending style and the trailer. An
// unchanged File prints back to its input bytes.
package parser

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	bkparser "github.com/moby/buildkit/frontend/dockerfile/parser"
)

// File is a parsed Dockerfile.
type File struct {
	Name string
	// Source is the input exactly as read.
	Source []byte
	// BOM is the UTF-8 byte-order mark the file started with, if any.
	BOM []byte
	// Newline is the line ending of the file: "\r\n" when its first line
	// ends that way, otherwise "\n". Generated lines use it.
	Newline string
	// Escape is the escape character (`\` or a `# escape=` backtick).
	Escape rune
	// Directives are the parser directives at the top of the file.
	Directives []Directive
	// Instructions in source order: meta ARGs, FROMs and stage bodies alike.
	Instructions []*Instruction
	// Trailer holds the bytes after the last instruction (comments, blank
	// lines), verbatim.
	Trailer []byte
	// Warnings are BuildKit's parse warnings (empty continuation lines).
	Warnings []bkparser.Warning
}

// Directive is a parser directive such as `# syntax=` or `# escape=`.
type Directive struct {
	Name, Value string
	Line        int
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Keyword is the lowercase instruction name ("from", "run", ...).
	Keyword string
	// Node is BuildKit's AST node; nil for generated instructions until the
	// file is parsed again.
	Node *bkparser.Node
	// Command is BuildKit's typed form: *instructions.Stage for FROM,
	// *instructions.RunCommand for RUN, and so on.
	Command any
	// Err is BuildKit's complaint about the instruction, if any.
	Err error
	// StartLine and EndLine are 1-based and inclusive; 0 when generated.
	StartLine, EndLine int
	// Lead is the text above the instruction that belongs to it: comments,
	// blank lines and, for the first instruction, parser directives.
	Lead []byte
	// Raw is the exact source of the instruction with its line ending(s).
	// Nil for a generated or edited instruction, which prints Text instead.
	Raw []byte
	// Text is the instruction as written by a generator, one string per
	// output line, without line endings. Used only when Raw is nil.
	Text []string
}

// Generated reports whether the instruction has no source of its own.
func (in *Instruction) Generated() bool { return in.Raw == nil }

// Error is a parse error located in the file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse parses src, naming it name in errors, and checks that every
// instruction is well-formed and that there is a FROM.
func Parse(name string, src []byte) (*File, error) {
	f, err := ParseSyntax(name, src)
	if err != nil {
		return nil, err
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	return f, nil
}

// Check returns the first instruction BuildKit cannot make sense of, or the
// lack of a FROM.
func (f *File) Check() error {
	for _, in := range f.Instructions {
		if in.Err != nil {
			return &Error{File: f.Name, Line: in.StartLine, Msg: cleanMsg(in.Err)}
		}
	}
	if !hasFrom(f) {
		return &Error{File: f.Name, Line: 1, Msg: "no FROM instruction"}
	}
	return nil
}

// ParseSyntax parses src with BuildKit's parser without requiring every
// instruction to be valid: BuildKit's own parser test files are syntax-only.
func ParseSyntax(name string, src []byte) (*File, error) {
	if err := checkText(name, src); err != nil {
		return nil, err
	}
	res, err := bkparser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, locate(name, err)
	}
	f := &File{
		Name:     name,
		Source:   src,
		Newline:  detectNewline(src),
		Escape:   res.EscapeToken,
		Warnings: res.Warnings,
	}
	body := src
	if bytes.HasPrefix(body, utf8BOM) {
		f.BOM = utf8BOM
		body = body[len(utf8BOM):]
	}
	lines := splitLines(body)
	f.Directives = directives(lines)
	// offs[i] is where line i starts in body: Lead, Raw and Trailer are
	// slices of the input, not copies (capped, so appending copies).
	offs := make([]int, len(lines)+1)
	for i, l := range lines {
		offs[i+1] = offs[i] + len(l)
	}
	span := func(a, b int) []byte {
		if a >= b {
			return nil
		}
		return body[offs[a]:offs[b]:offs[b]]
	}

	next := 0 // index of the first line not yet given to an instruction
	for _, node := range res.AST.Children {
		start, end := node.StartLine-1, node.EndLine
		if start < next || end > len(lines) || start >= end {
			return nil, &Error{File: name, Line: node.StartLine, Msg: "instruction lines out of order (internal error)"}
		}
		cmd, err := instructions.ParseInstruction(node)
		f.Instructions = append(f.Instructions, &Instruction{
			Keyword:   strings.ToLower(node.Value),
			Node:      node,
			Command:   cmd,
			Err:       err,
			StartLine: node.StartLine,
			EndLine:   node.EndLine,
			Lead:      span(next, start),
			Raw:       span(start, end),
		})
		next = end
	}
	f.Trailer = span(next, len(lines))
	return f, nil
}

// checkText refuses input that is not a text Dockerfile before BuildKit
// sees it: BuildKit would parse binary noise or UTF-16 into nonsense
// instructions rather than fail.
func checkText(name string, src []byte) error {
	if len(src) == 0 {
		return &Error{File: name, Msg: "empty file"}
	}
	if bytes.HasPrefix(src, []byte{0xFF, 0xFE}) || bytes.HasPrefix(src, []byte{0xFE, 0xFF}) {
		return &Error{File: name, Line: 1, Msg: "UTF-16 text is not supported; convert the file to UTF-8"}
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return &Error{File: name, Line: 1 + bytes.Count(src[:i], []byte("\n")), Msg: "NUL byte: not a text file"}
	}
	// BuildKit reads lines with a bufio.Scanner and gives up on a longer
	// one, naming the line before it; name the right one.
	line := 1
	for rest := src; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		n := i + 1
		if i < 0 {
			n = len(rest)
		}
		if n > bufio.MaxScanTokenSize {
			return &Error{File: name, Line: line, Msg: fmt.Sprintf("line longer than %d bytes: BuildKit cannot read it", bufio.MaxScanTokenSize-1)}
		}
		rest = rest[n:]
	}
	if !utf8.Valid(src) {
		line := 1
		for rest := src; len(rest) > 0; {
			r, size := utf8.DecodeRune(rest)
			if r == utf8.RuneError && size <= 1 {
				break
			}
			if r == '\n' {
				line++
			}
			rest = rest[size:]
		}
		return &Error{File: name, Line: line, Msg: "invalid UTF-8"}
	}
	return nil
}

func hasFrom(f *File) bool {
	for _, in := range f.Instructions {
		if in.Keyword == "from" {
			return true
		}
	}
	return false
}

// locate turns a BuildKit error into a path:line error.
func locate(name string, err error) error {
	var le *bkparser.LocationError
	line := 0
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line = le.Locations[0][0].Start.Line
	}
	return &Error{File: name, Line: line, Msg: cleanMsg(err)}
}

func cleanMsg(err error) string {
	msg := err.Error()
	// BuildKit wraps some messages in a generic prefix that adds nothing
	// next to our path:line.
	msg = strings.TrimPrefix(msg, "dockerfile parse error on line ")
	return msg
}

// splitLines splits b after every '\n', keeping the terminators, exactly as
// BuildKit's scanner counts lines.
func splitLines(b []byte) [][]byte {
	var lines [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, b)
			break
		}
		lines = append(lines, b[:i+1])
		b = b[i+1:]
	}
	return lines
}

func detectNewline(src []byte) string {
	i := bytes.IndexByte(src, '\n')
	if i > 0 && src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// directives reads the parser directives the way BuildKit does: comment
// lines of the form `# name=value` at the very top, before any other line.
func directives(lines [][]byte) []Directive {
	var ds []Directive
	for i, l := range lines {
		s := strings.TrimSpace(string(l))
		if !strings.HasPrefix(s, "#") {
			break
		}
		kv := strings.TrimSpace(s[1:])
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.ContainsAny(strings.TrimSpace(k), " \t") {
			break
		}
		ds = append(ds, Directive{Name: strings.ToLower(strings.TrimSpace(k)), Value: strings.TrimSpace(v), Line: i + 1})
	}
	return ds
}
