package kubustest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubusdev/kubus/engine"
	"github.com/kubusdev/kubus/engine/kubustest"
)

func TestMailCapture(t *testing.T) {
	dir := t.TempDir()
	src := `name: notify
inputs:
  Fail: {type: boolean, default: false}
rules:
  Sent: |
    Mail.send("default", {from: "kubus@bank.example", to: "anna@example.nl", subject: "Ontvangen", text: "We hebben je aanvraag ontvangen."}).accepted.length
  Queued: |
    const q = Mail.queue("default", {from: "kubus@bank.example", to: ["anna@example.nl"], cc: "advies@bank.example", subject: "Je offerte",
      html: "<p>Maandlast € 1.467,05</p>", attachments: [{filename: "offer.txt", content: "offerte"}]});
    if (Fail) throw new Error("after queueing");
    return typeof q.id;
testcases:
  - name: both are captured, in order
    mail: capture
    expect:
      output: {Sent: 1, Queued: string}
      mails:
        - {to: anna@example.nl, subject: Ontvangen, contains: aanvraag}
        - {to: advies@bank.example, subject: Je offerte, contains: "€ 1.467,05", attachments: [offer.txt]}
  - name: a failed execution queues nothing
    mail: capture
    input: {Fail: true}
    expect:
      error: after queueing
      mails: [{subject: Ontvangen}]   # sent at once; the queued one never was
  - name: without mail capture nothing is sent
    expect: {output: {Sent: 1}}
`
	if err := os.WriteFile(filepath.Join(dir, "ruleset.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := engine.New().Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := kubustest.RunCases(context.Background(), rs, kubustest.Options{})
	for _, i := range []int{0, 1} {
		if !res[i].Passed() {
			t.Errorf("%s: %+v %v", res[i].Case.Name, res[i].Mismatches, res[i].Err)
		}
	}
	var got []string
	for _, m := range res[2].Mismatches {
		got = append(got, m.Path+": "+m.Message)
	}
	if s := strings.Join(got, "|"); !strings.Contains(s, "add mail: capture") || !strings.Contains(s, "fixtures: no fixture answers Mail") {
		t.Errorf("without capture: %s", s)
	}
}
