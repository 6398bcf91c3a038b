package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

// JUnit XML, as CI systems read it: one <testsuite> per ruleset, one <testcase> per testcase.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(path string, suites []*suite) error {
	doc := junitSuites{}
	for _, s := range suites {
		js := junitSuite{Name: s.Name, Time: fmt.Sprintf("%.3f", s.Elapsed.Seconds())}
		if s.LoadErr != nil {
			js.Cases = append(js.Cases, junitCase{Name: "load", Classname: s.Name, Time: "0",
				Failure: &junitFailure{Message: "ruleset failed to load", Text: s.LoadErr.Error()}})
		}
		for i := range s.Cases {
			c := &s.Cases[i]
			jc := junitCase{Name: c.Case.Name, Classname: s.Name, Time: fmt.Sprintf("%.3f", c.Duration.Seconds())}
			if !c.Passed() {
				lines := make([]string, len(c.Mismatches))
				for j, m := range c.Mismatches {
					lines[j] = m.String()
				}
				jc.Failure = &junitFailure{Message: lines[0], Text: c.Case.Pos.String() + "\n" + strings.Join(lines, "\n")}
			}
			js.Cases = append(js.Cases, jc)
		}
		js.Tests = len(js.Cases)
		for _, c := range js.Cases {
			if c.Failure != nil {
				js.Failures++
			}
		}
		doc.Tests += js.Tests
		doc.Failures += js.Failures
		doc.Suites = append(doc.Suites, js)
	}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(data, '\n')...), 0o644)
}
