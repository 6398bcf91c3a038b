package bench

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/kubusdev/kubus/engine"
)

// Decision is what a travel-insurance execution answered, in a shape both implementations fill:
// the output and the alerts (name, level, message), or the error's message.
type Decision struct {
	Output map[string]any
	Alerts []Alert
	Err    string
}

// Alert is a raised alert without the fields only Kubus has (the raising rule, data).
type Alert struct{ Name, Level, Message string }

// KubusTravel runs a ruleset folder through the engine's public API.
type KubusTravel struct{ rs *engine.Ruleset }

func NewKubusTravel(dir string) (*KubusTravel, error) {
	rs, err := engine.New().Load(dir)
	if err != nil {
		return nil, err
	}
	return &KubusTravel{rs}, nil
}

// Execute is one warm execution, exactly as a host calls it.
func (k *KubusTravel) Execute(in map[string]any, now time.Time) (*engine.Result, error) {
	return k.rs.Execute(context.Background(), in, engine.ExecOptions{Now: now})
}

// Decide is Execute in the comparable shape.
func (k *KubusTravel) Decide(in map[string]any, now time.Time) Decision {
	res, err := k.Execute(in, now)
	if err != nil {
		var ie *engine.InputError
		var ee *engine.EvalError
		switch {
		case errors.As(err, &ie):
			return Decision{Err: ie.Error()}
		case errors.As(err, &ee):
			return Decision{Err: ee.Message} // without the rule and position only Kubus knows
		}
		return Decision{Err: err.Error()}
	}
	d := Decision{Output: res.Output, Alerts: []Alert{}}
	for _, a := range res.Alerts {
		d.Alerts = append(d.Alerts, Alert{a.Name, a.Level, a.Message})
	}
	return d
}

//go:embed travel.js
var travelJS string

// GojaTravel is travel.js on one reused goja runtime: compiled once, one call per decision, the
// input map handed over without copying, the answer exported to Go maps.
type GojaTravel struct {
	vm    *goja.Runtime
	fn    goja.Callable
	round goja.Callable // travel.js's ROUND, for its own test
	loc   *time.Location
}

func NewGojaTravel() (*GojaTravel, error) {
	loc, err := time.LoadLocation("Europe/Amsterdam") // the ruleset's timezone
	if err != nil {
		return nil, err
	}
	prg, err := goja.Compile("travel.js", travelJS, true)
	if err != nil {
		return nil, err
	}
	vm := goja.New()
	v, err := vm.RunProgram(prg)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(v)
	if !ok {
		return nil, fmt.Errorf("goja: travel.js is not a function")
	}
	round, ok := goja.AssertFunction(v.ToObject(vm).Get("ROUND"))
	if !ok {
		return nil, fmt.Errorf("goja: travel.js has no ROUND")
	}
	return &GojaTravel{vm: vm, fn: fn, round: round, loc: loc}, nil
}

// Execute is one decision: the answer as goja exports it ({output, alerts} or {errors}).
func (g *GojaTravel) Execute(in map[string]any, now time.Time) (map[string]any, error) {
	today := now.In(g.loc).Format(time.DateOnly)
	v, err := g.fn(goja.Undefined(), g.vm.ToValue(in), g.vm.ToValue(today))
	if err != nil {
		return nil, err
	}
	return v.Export().(map[string]any), nil
}

// Decide is Execute in the comparable shape, with the input problems joined as Kubus joins them.
func (g *GojaTravel) Decide(in map[string]any, now time.Time) Decision {
	res, err := g.Execute(in, now)
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			return Decision{Err: ex.Value().String()} // "RangeError: …" without the stack
		}
		return Decision{Err: err.Error()}
	}
	if probs, ok := res["errors"].([]any); ok {
		parts := make([]string, len(probs))
		for i, p := range probs {
			p := p.(map[string]any)
			parts[i] = fmt.Sprint(p["path"], ": ", p["message"])
		}
		return Decision{Err: "invalid input: " + strings.Join(parts, "; ")}
	}
	d := Decision{Output: res["output"].(map[string]any), Alerts: []Alert{}}
	for _, a := range res["alerts"].([]any) {
		a := a.(map[string]any)
		d.Alerts = append(d.Alerts, Alert{a["name"].(string), a["level"].(string), a["message"].(string)})
	}
	return d
}
