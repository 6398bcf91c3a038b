package studio_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// selectOption picks the option of a <select> whose text contains want, as a user would.
func (e *studioEnv) selectOption(sel, want string) {
	e.t.Helper()
	ok := eval[bool](e, "choose "+want+" in "+sel, `(() => {
		const s = document.querySelector(`+jsString(sel)+`);
		if (!s) return false;
		const i = [...s.options].findIndex(o => o.textContent.includes(`+jsString(want)+`));
		if (i < 0) return false;
		s.selectedIndex = i;
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)
	if !ok {
		e.fail("choose "+want+" in "+sel, os.ErrNotExist)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

// status is an element's data-status attribute.
func (e *studioEnv) waitStatus(sel, want string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		got = eval[string](e, "read the status of "+sel, `(document.querySelector(`+jsString(sel)+`) || {dataset: {}}).dataset.status || ''`)
		if got == want {
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	e.fail(sel+" status "+got+", want "+want, os.ErrDeadlineExceeded)
}

// TestStudioTryExplainTestcasesEdit walks a rule author's path through travel-insurance: sign in
// with a key, try an invalid then a valid input, open explain, save the input as a testcase and
// see it pass, break a rule in the editor and see the problem appear, then go.
func TestStudioTryExplainTestcasesEdit(t *testing.T) {
	e := newStudio(t, "travel-insurance")

	// Sign in with an API key: a wrong one is refused with the reason.
	e.run("open the studio", chromedp.Navigate(e.url+"/studio/"), chromedp.WaitVisible(chromedp.CSS(tid("signin-key"))))
	e.axeCheck("sign-in")
	e.shot("signin")
	e.fill(tid("signin-key"), "kbs_wrong")
	e.click("signin-submit")
	e.waitText("main", "not known")
	e.fill(tid("signin-key"), e.key)
	e.click("signin-submit")
	e.waitText(tid("key-name"), "browser tester")
	e.waitText(tid("ruleset-link-travel-insurance"), "travel-insurance")
	e.axeCheck("rulesets")
	e.shot("rulesets")

	// Try it: the empty form's problems sit next to their fields.
	e.click("ruleset-link-travel-insurance")
	e.click("tab-try")
	e.run("the form", chromedp.WaitVisible(chromedp.CSS(tid("try-form"))), chromedp.WaitVisible(chromedp.CSS("#in-StartDate")))
	e.click("try-execute")
	e.waitText(tid("try-errors"), "problem")
	e.waitText("#in-StartDate-err", "required")
	e.axeCheck("try it, invalid input")
	e.shot("try-invalid")

	// A real input (an example from the testcases): the output and the alerts.
	e.selectOption(tid("try-example"), "young traveller")
	e.click("try-execute")
	e.waitText(tid("try-output"), "TotalPremium")
	e.axeCheck("try it, result")
	e.shot("try")

	// Explain: every needed rule with its value and what it read.
	e.click("try-explain")
	e.waitText(tid("explain-node-TotalPremium"), "TotalPremium")
	e.waitText(tid("explain-tree"), "NumberOfDays")
	// Follow a name: AgeAtDeparture is read by InsuranceCosts; the link goes to that rule's node.
	e.run("follow a name", chromedp.Click(chromedp.CSS(tid("explain-node-AgeAtDeparture")+` .ex-meta a.ex-follow[href$="InsuranceCosts"]`), chromedp.NodeVisible))
	deadline := time.Now().Add(10 * time.Second)
	for eval[string](e, "the focused node", `(document.activeElement.closest('[data-testid^="explain-node-"]') || {dataset: {}}).dataset.testid || ''`) != "explain-node-InsuranceCosts" {
		if time.Now().After(deadline) {
			e.fail("following InsuranceCosts did not focus its node", os.ErrDeadlineExceeded)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.axeCheck("explain")
	e.shot("explain")

	// Alerts over time: executions tagged by quarter and by application (a metrics record holds the
	// last execution of its tags, and the chart sums those under each quarter), recorded through
	// the API with the session as any client would, then the chart.
	eval[bool](e, "record tagged executions", `(async () => {
		const {csrf} = await (await fetch('/studio/session')).json();
		const trip = (dob, days) => ({StartDate: '2026-03-02', EndDate: '2026-03-' + String(2 + days).padStart(2, '0'), DateOfBirth: dob, CustomerArea: 'north'});
		const runs = [['q1', trip('2012-01-01', 7)], ['q1', trip('1990-01-01', 7)], ['q2', trip('2011-01-01', 3)], ['q2', trip('2013-01-01', 5)], ['q3', trip('1980-01-01', 7)]];
		for (const [i, [q, input]] of runs.entries()) {
			const r = await fetch('/api/rulesets/travel-insurance/execute', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Kubus-CSRF': csrf},
				body: JSON.stringify({input, options: {tags: ['2026', q, 'application-' + i], metrics: true, now: '2026-02-01T09:00:00Z'}})});
			if (!r.ok) throw new Error('execute: ' + r.status + ' ' + await r.text());
		}
		return true;
	})()`)
	e.run("the alerts", chromedp.Navigate(e.url+"/studio/#/alerts"), chromedp.WaitVisible(chromedp.CSS(tid("alerts-ruleset"))))
	e.selectOption(tid("alerts-ruleset"), "travel-insurance")
	e.fill(tid("alerts-tags"), "2026")
	e.selectOption(tid("alerts-period"), "Quarters")
	e.click("alerts-show")
	e.waitText(tid("alerts-table"), "TooYoung")
	if table := e.text(tid("alerts-table")); !strings.Contains(table, "q1\t0\t0\t0\t1\t0\t1\nq2\t0\t0\t0\t2\t0\t2\nq3\t0\t0\t0\t0\t0\t0") {
		e.fail("the alerts table does not count TooYoung once in q1 and twice in q2: "+table, os.ErrInvalid)
	}
	e.axeCheck("alerts chart")
	eval[bool](e, "scroll to the chart", `(document.querySelector('[data-testid="alerts-chart"]').scrollIntoView({block: 'center'}), true)`)
	e.shot("alerts")
	e.run("back to the ruleset", chromedp.Navigate(e.url+"/studio/#/r/travel-insurance/try"), chromedp.WaitVisible(chromedp.CSS(tid("try-form"))))

	// Save the input as a testcase; it lands in tests/ and passes.
	e.click("tab-try")
	e.selectOption(tid("try-example"), "young traveller")
	e.run("open Save this input", chromedp.Click(chromedp.CSS(".save-box > summary"), chromedp.NodeVisible))
	e.fill(tid("save-testcase-name"), "saved from the studio")
	e.click("save-testcase")
	deadline = time.Now().Add(20 * time.Second)
	var saved []byte
	for time.Now().Before(deadline) && !strings.Contains(string(saved), "saved from the studio") {
		time.Sleep(100 * time.Millisecond)
		files, _ := filepath.Glob(filepath.Join(e.dir, "travel-insurance", "tests", "*.yaml"))
		saved = nil
		for _, f := range files {
			b, _ := os.ReadFile(f)
			saved = append(saved, b...)
		}
	}
	if !strings.Contains(string(saved), "saved from the studio") {
		e.fail("the saved testcase is in no file of tests/", os.ErrNotExist)
	}
	// The studio says so once the server has reloaded the folder.
	e.waitText(".save-box .notice-ok", "Saved the testcase")
	e.click("tab-testcases")
	e.click("testcase-run-all")
	e.waitStatus(tid("testcase-result-saved from the studio"), "passed")
	e.axeCheck("testcases")
	e.shot("testcases")

	// Edit: a syntax error in a rule file shows as a load problem with its line, and goes when
	// the file is fixed.
	e.click("tab-edit")
	e.click("edit-file-rules/total-premium.js")
	toStart := func() {
		e.run("the start of the file", chromedp.WaitVisible(chromedp.CSS(".cm-content")), chromedp.Click(chromedp.CSS(".cm-content")),
			chromedp.KeyEvent(kb.Home, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	}
	toStart()
	broken := "const = ;"
	e.run("break the rule", chromedp.KeyEvent(broken))
	e.click("edit-save")
	e.waitText(tid("edit-problems"), "rules/total-premium.js")
	e.axeCheck("edit, with a load problem")
	e.shot("edit-problem")
	toStart()
	e.run("fix the rule", chromedp.KeyEvent(strings.Repeat(kb.Delete, len(broken))))
	e.click("edit-save")
	e.waitText(tid("edit-status"), "Loaded")
	if got := e.text(tid("edit-problems")); strings.Contains(got, "total-premium.js") {
		e.fail("the fixed problem is still listed: "+got, os.ErrExist)
	}
	e.noConsoleErrors()
}

// TestStudioEntities creates and edits a persisted entity through the data table.
func TestStudioEntities(t *testing.T) {
	e := newStudio(t, "people-register")
	e.signInLocally()
	e.run("the data tab", chromedp.Navigate(e.url+"/studio/#/r/people-register/data"), chromedp.WaitVisible(chromedp.CSS(tid("data-new"))))
	e.click("data-new")
	e.run("the form", chromedp.WaitVisible(chromedp.CSS(tid("data-form"))))
	// An invalid record is refused next to its field and saves nothing.
	e.click("data-save")
	e.waitText(tid("data-form"), "required")
	e.axeCheck("data, invalid record")
	e.fill(tid("data-form")+` input[id$="-Name"]`, "Ada Lovelace")
	e.fill(tid("data-form")+` input[id$="-Birthdate"]`, "12101815")
	e.click("data-save")
	e.waitText(tid("data-table"), "Ada Lovelace")
	e.axeCheck("data table")
	e.shot("data")

	// Alerts over time: the chart's screen, with its controls.
	e.run("the alerts", chromedp.Navigate(e.url+"/studio/#/alerts"), chromedp.WaitVisible(chromedp.CSS(tid("alerts-ruleset"))))
	e.axeCheck("alerts")

	e.run("back to the data", chromedp.Navigate(e.url+"/studio/#/r/people-register/data"), chromedp.WaitVisible(chromedp.CSS(tid("data-table"))))
	e.click("data-edit")
	e.fill(tid("data-form")+` input[id$="-Name"]`, "Augusta Ada King")
	e.click("data-save")
	e.waitText(tid("data-table"), "Augusta Ada King")
	e.noConsoleErrors()
}

// TestStudioWorkflowTask starts a workflow and answers its waiting task through the generated form.
func TestStudioWorkflowTask(t *testing.T) {
	e := newStudio(t, "testdata/leave-request")
	e.signInLocally()
	e.run("the workflow", chromedp.Navigate(e.url+"/studio/#/workflows/leave-request"), chromedp.WaitVisible(chromedp.CSS(tid("wf-start-form"))))
	e.fill(tid("wf-start-form")+` input[id$="-Employee"]`, "Ann")
	e.fill(tid("wf-start-form")+` input[id$="-Days"]`, "3")
	e.click("wf-start-submit")
	e.run("the task form", chromedp.WaitVisible(chromedp.CSS(tid("wf-task-form"))))
	e.waitText(tid("wf-status"), "waiting")
	e.axeCheck("workflow instance, waiting")
	e.shot("workflow")
	e.selectOption(tid("wf-task-form")+` select[id$="-Approved"]`, "true")
	e.fill(tid("wf-task-form")+` input[id$="-Note"]`, "enjoy")
	e.click("wf-task-submit")
	e.waitText(tid("wf-status"), "completed")
	e.waitText(tid("wf-history"), "Review")
	e.axeCheck("workflow instance, completed")

	// The API tab: the start route with snippets, the task route with its answer's fields.
	e.run("the API tab", chromedp.Navigate(e.url+"/studio/#/r/leave-request/api"), chromedp.WaitVisible(chromedp.CSS(tid("api-snippet-curl"))))
	e.waitText("main", "Answer (answer)")
	if page := e.text("main"); !strings.Contains(page, "/api/workflows/instances/{id}/tasks/Review") || !strings.Contains(page, "Approve the leave") ||
		!strings.Contains(page, "workflows:leave-request") {
		e.fail("the API tab does not describe the task route: "+page, os.ErrNotExist)
	}
	e.axeCheck("workflow API docs")
	eval[bool](e, "scroll to the task route", `(document.querySelector('.op:nth-of-type(2)') || document.body).scrollIntoView({block: 'start'}), true`)
	e.shot("workflow-api")
	e.noConsoleErrors()
}

// TestStudioWorkflowTaskWithAWorkflowKey: a manager whose key has only workflows:leave-request
// starts an instance and answers its task through forms built from the workflow's OpenAPI
// document (the ruleset's definition needs admin).
func TestStudioWorkflowTaskWithAWorkflowKey(t *testing.T) {
	e := newStudio(t, "testdata/leave-request")
	e.run("open the studio", chromedp.Navigate(e.url+"/studio/"), chromedp.WaitVisible(chromedp.CSS(tid("signin-key"))))
	e.fill(tid("signin-key"), e.manager)
	e.click("signin-submit")
	e.waitText(tid("key-name"), "manager")
	e.run("the workflow", chromedp.Navigate(e.url+"/studio/#/workflows/leave-request"), chromedp.WaitVisible(chromedp.CSS(tid("wf-start-form"))))
	e.fill(tid("wf-start-form")+` input[id$="-Employee"]`, "Bo")
	e.fill(tid("wf-start-form")+` input[id$="-Days"]`, "2")
	e.click("wf-start-submit")
	e.run("the task form", chromedp.WaitVisible(chromedp.CSS(tid("wf-task-form"))))
	e.waitText(tid("wf-status"), "waiting")
	if form := e.text(tid("wf-task-form")); !strings.Contains(form, "Approve the leave") {
		e.fail("the task form has no field labelled from the answer declaration: "+form, os.ErrNotExist)
	}
	e.waitText(".wf-task", "The manager approves or refuses")
	e.axeCheck("workflow task, a workflow key")
	e.selectOption(tid("wf-task-form")+` select[id$="-Approved"]`, "false")
	e.click("wf-task-submit")
	e.waitText(tid("wf-status"), "completed")
	e.noConsoleErrors()
}
