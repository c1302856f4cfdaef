package parser

import (
	"bytes"
	"strings"
)

// Bytes prints the file. Instructions with Raw come out verbatim; generated
// ones are written in the file's own line ending and escape character. An
// unchanged file prints back to its Source.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	b.Grow(len(f.Source) + 256)
	b.Write(f.BOM)
	for _, in := range f.Instructions {
		writeChunk(&b, in.Lead, f.Newline)
		if in.Raw != nil {
			writeChunk(&b, in.Raw, f.Newline)
			continue
		}
		ensureLineStart(&b, f.Newline)
		b.WriteString(strings.Join(in.Text, f.Newline))
		b.WriteString(f.Newline)
	}
	writeChunk(&b, f.Trailer, f.Newline)
	if !endsWithNewline(f.Source) {
		// Keep the input's missing final newline, whatever was added.
		out := b.Bytes()
		out = bytes.TrimSuffix(out, []byte(f.Newline))
		return out
	}
	return b.Bytes()
}

// writeChunk appends verbatim bytes, first ending the previous line if the
// source's last line had no newline and something now follows it.
func writeChunk(b *bytes.Buffer, chunk []byte, nl string) {
	if len(chunk) == 0 {
		return
	}
	ensureLineStart(b, nl)
	b.Write(chunk)
}

func ensureLineStart(b *bytes.Buffer, nl string) {
	if b.Len() > 0 && b.Bytes()[b.Len()-1] != '\n' && !bytes.Equal(b.Bytes(), utf8BOM) {
		b.WriteString(nl)
	}
}

func endsWithNewline(src []byte) bool {
	return len(src) == 0 || src[len(src)-1] == '\n'
}

// ContinuationSuffix is what ends a continued line in this file: a space and
// the escape character.
func (f *File) ContinuationSuffix() string {
	return " " + string(f.Escape)
}

// New returns a generated instruction of the given keyword whose text is
// lines; lines after the first are continuation lines, so every line but the
// last gets the file's continuation suffix.
func (f *File) New(keyword string, lines ...string) *Instruction {
	text := make([]string, len(lines))
	for i, l := range lines {
		if i < len(lines)-1 {
			l += f.ContinuationSuffix()
		}
		text[i] = l
	}
	return &Instruction{Keyword: strings.ToLower(keyword), Text: text}
}

// Edited returns a copy of in that prints as lines instead of its source,
// keeping its lead (comments above it) and position.
func (f *File) Edited(in *Instruction, lines ...string) *Instruction {
	n := f.New(in.Keyword, lines...)
	n.Lead = in.Lead
	n.StartLine, n.EndLine = in.StartLine, in.EndLine
	return n
}
