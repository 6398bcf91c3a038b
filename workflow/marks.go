package workflow

import "github.com/kubusdev/kubus/workflow/diagram"

// MarksOf is what a diagram marks of an instance: the steps it entered in order, where it is now,
// and the step it failed at.
func MarksOf(inst *Instance, history []Event) *diagram.Marks {
	m := &diagram.Marks{}
	for _, e := range history {
		if e.Event == EventEntered {
			m.Visited = append(m.Visited, e.Step)
		}
	}
	for _, t := range inst.Run.Tokens {
		switch t.State {
		case tokenFailed:
			m.Failed = t.Step
		default:
			m.Current = append(m.Current, t.Step)
		}
	}
	if inst.Status == StatusFailed && m.Failed == "" && inst.Error != nil {
		m.Failed = inst.Error.Step
	}
	return m
}
