package parser

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// Stage is a view of one build stage: its FROM and the instructions up to
// the next FROM.
type Stage struct {
	From *Instruction
	Body []*Instruction
}

// Stage returns the typed FROM of the stage.
func (s Stage) Base() *instructions.Stage {
	st, _ := s.From.Command.(*instructions.Stage)
	return st
}

// MetaArgs returns the instructions before the first FROM (ARGs and nothing
// else in a valid file).
func (f *File) MetaArgs() []*Instruction {
	for i, in := range f.Instructions {
		if in.Keyword == "from" {
			return f.Instructions[:i]
		}
	}
	return f.Instructions
}

// Stages returns the build stages in order.
func (f *File) Stages() []Stage {
	var out []Stage
	for _, in := range f.Instructions {
		if in.Keyword == "from" {
			out = append(out, Stage{From: in})
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].Body = append(out[len(out)-1].Body, in)
		}
	}
	return out
}
