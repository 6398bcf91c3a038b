package diagram

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubusdev/kubus/rulesets"
)

// ocktoWorkflow is the contract's Ockto example (the format tests load it too): a loop through a
// delay, a switch, a wait with a timeout, an upload and a fork/join.
var ocktoWorkflow = func() string {
	data, err := os.ReadFile("../../rulesets/testdata/workflow/ruleset.yaml")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// smallWorkflow has one step of every type.
const smallWorkflow = `name: small
workflow:
  steps:
    Begin: {type: start, next: Check}
    Check:
      type: switch
      expression: "'x'"
      cases: {ready: Ask, "no way": Stop}
      default: Pause
    Pause: {type: delay, for: PT1M, next: Check}
    Ask: {type: wait, timeout: P1D, onTimeout: Stop, next: Send}
    Send: {type: upload, next: Split}
    Split: {type: fork, branches: [L, R]}
    L: {type: action, expression: "1", next: Meet}
    R: {type: action, expression: "2", next: Meet}
    Meet: {type: join, next: Done}
    Done: {type: end}
    Stop: {type: end, status: failed}
`

func load(t testing.TB, yaml string) *rulesets.Workflow {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := rulesets.LoadDir(dir, &rulesets.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Workflow
}

func step(name, typ string, set func(*rulesets.Step)) *rulesets.Step {
	s := &rulesets.Step{Name: name, Type: typ}
	if set != nil {
		set(s)
	}
	return s
}

// hostileWorkflow has names and case values that are markup in XML and Mermaid.
func hostileWorkflow() *rulesets.Workflow {
	return &rulesets.Workflow{Steps: []*rulesets.Step{
		step(`</text><script>alert(1)</script>`, rulesets.StepStart, func(s *rulesets.Step) { s.Next = `a"b&c` }),
		step(`a"b&c`, rulesets.StepSwitch, func(s *rulesets.Step) {
			s.Cases = []rulesets.Case{{Value: `x|y"]-->z`, Step: "end"}, {Value: "#quot;<b>", Step: "end"}}
			s.Default = "end"
			s.Description = `"quoted" & <em>`
		}),
		step("end", rulesets.StepEnd, nil),
	}}
}

func TestMermaid(t *testing.T) {
	nodes := `flowchart TD
    s0(["Begin"])
    s1{"Check"}
    s2[/"Pause<br/>delay PT1M"/]
    s3[["Ask<br/>wait · timeout P1D"]]
    s4[("Send<br/>upload")]
    s5{{"Split<br/>fork"}}
    s6["L"]
    s7["R"]
    s8{{"Meet<br/>join"}}
    s9(("Done"))
    s10(("Stop<br/>end · failed"))
    s1 -->|"ready"| s3
    s1 -->|"no way"| s10
    s1 -->|"default"| s2
    s2 --> s1
    s3 --> s4
    s3 -.->|"timeout"| s10
    s4 --> s5
    s5 --> s6
    s5 --> s7
    s6 --> s8
    s7 --> s8
    s8 --> s9
`
	nodes = strings.Replace(nodes, "    s1 -->|\"ready\"", "    s0 --> s1\n    s1 -->|\"ready\"", 1)
	tests := []struct {
		name  string
		marks *Marks
		want  string
	}{
		{"plain", nil, nodes},
		{"no marks yet", &Marks{}, nodes},
		{"waiting for an answer", &Marks{Visited: []string{"Begin", "Check", "Pause", "Check", "Ask"}, Current: []string{"Ask"}}, nodes +
			"    classDef visited fill:#dcfce7,stroke:#16a34a,stroke-width:2px\n    class s0,s1,s2,s3 visited\n" +
			"    classDef current stroke:#2563eb,stroke-width:4px\n    class s3 current\n" +
			"    linkStyle 0,1,3,4 stroke:#16a34a,stroke-width:3px\n"},
		{"timed out", &Marks{Visited: []string{"Begin", "Check", "Ask", "Stop", "Nowhere"}, Failed: "Stop"}, nodes +
			"    classDef visited fill:#dcfce7,stroke:#16a34a,stroke-width:2px\n    class s0,s1,s3,s10 visited\n" +
			"    classDef failed fill:#fee2e2,stroke:#dc2626,stroke-width:3px\n    class s10 failed\n" +
			"    linkStyle 0,1,6 stroke:#16a34a,stroke-width:3px\n"},
		{"both branches into the join", &Marks{Visited: []string{"Begin", "Check", "Ask", "Send", "Split", "L", "R", "Meet"}}, nodes +
			"    classDef visited fill:#dcfce7,stroke:#16a34a,stroke-width:2px\n    class s0,s1,s3,s4,s5,s6,s7,s8 visited\n" +
			"    linkStyle 0,1,5,7,8,9,10,11 stroke:#16a34a,stroke-width:3px\n"},
	}
	w := load(t, smallWorkflow)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mermaid(w, tt.marks); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestMermaidEscapes checks that hostile names stay inside their quoted labels: every node line is
// an id, a shape and one quoted label, every edge label one quoted string.
func TestMermaidEscapes(t *testing.T) {
	got := Mermaid(hostileWorkflow(), &Marks{Visited: []string{"end"}})
	node := regexp.MustCompile(`^    s\d+[\[\](){}/]*"([^"<>|#&]|#[a-z0-9]+;|<br/>)*"[\[\](){}/]*$`)
	edge := regexp.MustCompile(`^    s\d+ -\.?->(\|"[^"|]*"\|)? s\d+$`)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n")[1:] {
		switch {
		case strings.Contains(line, " -"):
			if !edge.MatchString(line) {
				t.Errorf("edge line not escaped: %q", line)
			}
		case strings.HasPrefix(line, "    class"), strings.HasPrefix(line, "    linkStyle"):
		default:
			if !node.MatchString(line) {
				t.Errorf("node line not escaped: %q", line)
			}
		}
	}
	for _, want := range []string{
		`s0(["#60;/text#62;#60;script#62;alert(1)#60;/script#62;"])`,
		`s1{"a#quot;b#38;c"}`,
		`s1 -->|"x#124;y#quot;]--#62;z, #35;quot;#60;b#62;, default"| s2`,
		`s2(("end"))`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

// decodeSVG parses the whole document and returns its text content and its class attributes.
func decodeSVG(t *testing.T, doc []byte) (text []string, classes map[string]bool) {
	t.Helper()
	classes = map[string]bool{}
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return text, classes
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			for _, a := range x.Attr {
				if a.Name.Local == "class" {
					for _, c := range strings.Fields(a.Value) {
						classes[c] = true
					}
				}
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(x)); s != "" {
				text = append(text, s)
			}
		}
	}
}

func TestSVG(t *testing.T) {
	ockto := load(t, ocktoWorkflow)
	tests := []struct {
		name        string
		w           *rulesets.Workflow
		marks       *Marks
		wantClasses []string
		noClasses   []string
		wantText    []string
	}{
		{"ockto", ockto, nil, []string{"step", "switch", "delay", "wait", "upload", "fork", "join", "end", "edge", "back", "timeout"}, []string{"visited", "current", "failed"},
			[]string{"dataAvailable", "expired, refused", "default", "timeout", "delay PT30S", "wait · timeout P3D", "action · retry 3", "end · failed"}},
		{"ockto waiting for review", ockto, &Marks{Visited: []string{"Start", "Poll", "Later", "Poll", "Fetch", "Review"}, Current: []string{"Review"}},
			[]string{"visited", "current"}, []string{"failed"}, nil},
		{"ockto failed at the join", ockto, &Marks{Visited: []string{"Start", "Poll", "Fetch", "Review", "Payslip", "Checks", "CreditCheck", "FraudCheck", "Checked"}, Failed: "Checked"},
			[]string{"visited", "failed"}, []string{"current"}, nil},
		{"hostile names", hostileWorkflow(), &Marks{Current: []string{`a"b&c`}}, []string{"current"}, nil,
			[]string{`</text><script>alert(1)</script>`, `a"b&c`, `x|y"]-->z, #quot;<b>, default`, `a"b&c: "quoted" & <em>`}},
		{"empty", &rulesets.Workflow{}, nil, nil, []string{"step"}, nil},
		{"nil", nil, &Marks{Visited: []string{"x"}}, nil, []string{"step"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := SVG(tt.w, tt.marks)
			if !bytes.Equal(doc, SVG(tt.w, tt.marks)) {
				t.Error("two drawings differ")
			}
			if bytes.Contains(doc, []byte("<script")) || bytes.Contains(doc, []byte("<em>")) || bytes.Contains(doc, []byte("<b>")) {
				t.Error("markup from a name got into the document")
			}
			text, classes := decodeSVG(t, doc)
			all := "\n" + strings.Join(text, "\n") + "\n"
			var want []string
			if tt.w != nil {
				for _, s := range tt.w.Steps {
					want = append(want, s.Name)
				}
			}
			for _, s := range append(want, tt.wantText...) {
				if !strings.Contains(all, "\n"+s+"\n") {
					t.Errorf("text %q missing", s)
				}
			}
			for _, c := range tt.wantClasses {
				if !classes[c] {
					t.Errorf("class %q missing", c)
				}
			}
			for _, c := range tt.noClasses {
				if classes[c] {
					t.Errorf("class %q present", c)
				}
			}
		})
	}
}

// TestSVGMarksChangeColours checks the marks' colours, not only their classes.
func TestSVGMarksChangeColours(t *testing.T) {
	w := load(t, ocktoWorkflow)
	plain := string(SVG(w, nil))
	marked := string(SVG(w, &Marks{Visited: []string{"Start", "Poll", "Expired"}, Current: []string{"Poll"}, Failed: "Expired"}))
	for _, c := range []string{visitedFill, visitedStroke, currentStroke, failedFill, failedStroke, arrowVisitedID} {
		if strings.Contains(plain, c) {
			t.Errorf("%s in the plain drawing", c)
		}
		if !strings.Contains(marked, c) {
			t.Errorf("%s missing from the marked drawing", c)
		}
	}
}

// TestLayoutNoOverlap lays out workflows with loops through delays and fork/joins and checks that
// no two boxes, no two labels and no label and box intersect, and that back edges have lanes.
func TestLayoutNoOverlap(t *testing.T) {
	tests := []struct {
		name string
		w    *rulesets.Workflow
		back int
	}{
		{"ockto", load(t, ocktoWorkflow), 1},
		{"small", load(t, smallWorkflow), 1},
		{"loops in branches", loopsInBranches(), 3},
		{"hostile", hostileWorkflow(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLayout(newGraph(tt.w))
			var boxes []box
			for _, n := range l.nodes {
				if n.real() {
					boxes = append(boxes, n.box())
				}
			}
			nodes := len(boxes)
			for _, lb := range l.labels {
				boxes = append(boxes, lb.box)
			}
			for i := range boxes {
				for j := i + 1; j < len(boxes); j++ {
					if boxes[i].overlaps(boxes[j]) {
						t.Errorf("%s %d %+v overlaps %s %d %+v", kind(i, nodes), i, boxes[i], kind(j, nodes), j, boxes[j])
					}
				}
			}
			back := 0
			for _, r := range l.routes {
				if r.back && !l.self[r.edge] {
					back++
				}
			}
			if back != tt.back {
				t.Errorf("%d back edges, want %d", back, tt.back)
			}
		})
	}
}

func kind(i, nodes int) string {
	if i < nodes {
		return "box"
	}
	return "label"
}

// loopsInBranches has a loop through a delay in one fork branch, a retry loop back to a wait in
// another, a self-looping delay and a loop from late in the flow back to its top.
func loopsInBranches() *rulesets.Workflow {
	d := func(s string) *rulesets.Duration {
		x, err := rulesets.ParseDuration(s)
		if err != nil {
			panic(err)
		}
		return &x
	}
	return &rulesets.Workflow{Steps: []*rulesets.Step{
		step("Begin", rulesets.StepStart, func(s *rulesets.Step) { s.Next = "Ask" }),
		step("Ask", rulesets.StepWait, func(s *rulesets.Step) { s.Next = "Split"; s.Timeout = d("P1D"); s.OnTimeout = "Nag" }),
		step("Nag", rulesets.StepDelay, func(s *rulesets.Step) { s.For = d("PT1H"); s.Next = "Nag2" }),
		step("Nag2", rulesets.StepDelay, func(s *rulesets.Step) { s.For = d("PT1H"); s.Next = "Nag2" }),
		step("Split", rulesets.StepFork, func(s *rulesets.Step) { s.Branches = []string{"Wait1", "Poll", "Quick"} }),
		step("Wait1", rulesets.StepWait, func(s *rulesets.Step) { s.Next = "Retry" }),
		step("Retry", rulesets.StepSwitch, func(s *rulesets.Step) {
			s.Cases = []rulesets.Case{{Value: "again", Step: "Wait1"}}
			s.Default = "Meet"
		}),
		step("Poll", rulesets.StepSwitch, func(s *rulesets.Step) {
			s.Cases = []rulesets.Case{{Value: "ready", Step: "Meet"}}
			s.Default = "Sleep"
		}),
		step("Sleep", rulesets.StepDelay, func(s *rulesets.Step) { s.For = d("PT30S"); s.Next = "Poll" }),
		step("Quick", rulesets.StepAction, func(s *rulesets.Step) { s.Next = "Meet" }),
		step("Meet", rulesets.StepJoin, func(s *rulesets.Step) { s.Next = "Again" }),
		step("Again", rulesets.StepUpload, func(s *rulesets.Step) { s.Next = "Decide" }),
		step("Decide", rulesets.StepSwitch, func(s *rulesets.Step) {
			s.Cases = []rulesets.Case{{Value: "start over", Step: "Ask"}, {Value: "done", Step: "Done"}}
		}),
		step("Done", rulesets.StepEnd, nil),
	}}
}

// chain is a workflow of n steps in a row, with a switch every tenth step that can go back to the
// step before it through a delay.
func chain(n int) *rulesets.Workflow {
	w := &rulesets.Workflow{}
	name := func(i int) string { return fmt.Sprintf("Step%d", i) }
	for i := range n {
		s := step(name(i), rulesets.StepAction, func(s *rulesets.Step) { s.Next = name(i + 1) })
		switch {
		case i == 0:
			s.Type = rulesets.StepStart
		case i == n-1:
			s.Type, s.Next = rulesets.StepEnd, ""
		case i%10 == 9:
			s.Type = rulesets.StepSwitch
			s.Cases = []rulesets.Case{{Value: "wait", Step: name(i - 1)}}
			s.Default, s.Next = s.Next, ""
		case i%10 == 8:
			s.Type, s.For = rulesets.StepDelay, &rulesets.Duration{Text: "PT1M"}
		}
		w.Steps = append(w.Steps, s)
	}
	return w
}

// TestLargeChain lays out 1,000 steps; it is to be well under a second (go test -v shows the time).
func TestLargeChain(t *testing.T) {
	w := chain(1000)
	start := time.Now()
	doc := SVG(w, &Marks{Visited: []string{"Step0", "Step1", "Step2"}, Current: []string{"Step2"}})
	t.Logf("1,000 steps: %v, %d bytes", time.Since(start), len(doc))
	text, _ := decodeSVG(t, doc)
	if !strings.Contains(strings.Join(text, "\n"), "\nStep999\n") {
		t.Error("the last step is missing")
	}
	start = time.Now()
	Mermaid(w, nil)
	t.Logf("Mermaid: %v", time.Since(start))
}
