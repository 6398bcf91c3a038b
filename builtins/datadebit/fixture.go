package datadebit

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
	"github.com/kubusdev/kubus/store"
)

// fixtureKeys are the fields of a `dataDebits:` item: the key, create's spec and the state.
var fixtureKeys = []string{"dataDebitKey", "purpose", "start", "period", "termsUrl", "cancelAtPeriodEnd", "requestClientName",
	"requestClientUrl", "requestClientLogoUrl", "requestDescription", "bundle", "dateCreated", "accepted", "canceledAt"}

// Fixture saves in tx one data debit that a testcase lists under `dataDebits:`. props are
// create's spec plus dataDebitKey, and the state to bring it to: dateCreated (when it was created;
// default now), accepted (enabled at dateCreated) and canceledAt (disabled then, at the period end
// when cancelAtPeriodEnd is true). It goes through the module's own create, enable and disable, so
// it is checked exactly as they check it and the audit trail is the same; a problem is an error
// naming the function and the field.
func Fixture(tx store.Tx, props map[string]any, now time.Time, loc *time.Location) (string, error) {
	spec := make(map[string]any, len(props))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v := props[k]
		if !slices.Contains(fixtureKeys, k) { // create ignores what it does not read: a typo would go unnoticed
			return "", fmt.Errorf("%s: is not a field of a data debit (use %s)", k, strings.Join(fixtureKeys, ", "))
		}
		spec[k] = v
	}
	take := func(k string) any { v := spec[k]; delete(spec, k); return v }
	key, ok := take("dataDebitKey").(string)
	if !ok || key == "" {
		return "", errors.New("dataDebitKey: is required (a string)")
	}
	parseTime := func(field string, v any) (time.Time, error) {
		if v == nil {
			return time.Time{}, nil
		}
		s, _ := v.(string)
		t, ok := builtins.ParseDate(s, loc)
		if !ok {
			return time.Time{}, fmt.Errorf("%s: must be an RFC 3339 time or YYYY-MM-DD, got %v", field, v)
		}
		return t, nil
	}
	created, err := parseTime("dateCreated", take("dateCreated"))
	if err != nil {
		return "", err
	}
	if created.IsZero() {
		created = now
	}
	canceledAt, err := parseTime("canceledAt", take("canceledAt"))
	if err != nil {
		return "", err
	}
	if !canceledAt.IsZero() && canceledAt.Before(created) {
		return "", fmt.Errorf("canceledAt: %s is before dateCreated %s (which defaults to the testcase's now)",
			canceledAt.UTC().Format(time.RFC3339Nano), created.UTC().Format(time.RFC3339Nano))
	}
	accepted, isBool := take("accepted").(bool)
	if _, present := props["accepted"]; present && !isBool {
		return "", fmt.Errorf("accepted: must be true or false, got %v", props["accepted"])
	}
	atPeriodEnd, _ := spec["cancelAtPeriodEnd"].(bool)

	vm := goja.New()
	h := builtins.NewHost(vm)
	if err := (Module{}).Install(h); err != nil {
		return "", err
	}
	exec := &builtins.Exec{Now: created, Location: loc, Tx: tx}
	h.SetExec(exec)
	raw, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	parse, _ := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	jsSpec, err := parse(goja.Undefined(), vm.ToValue(string(raw)))
	if err != nil {
		return "", err
	}
	dd := vm.Get("DataDebit").ToObject(vm)
	call := func(name string, args ...goja.Value) error {
		fn, _ := goja.AssertFunction(dd.Get(name))
		if _, err := fn(goja.Undefined(), args...); err != nil {
			var ex *goja.Exception
			if errors.As(err, &ex) {
				return errors.New(ex.Value().String())
			}
			return err
		}
		return nil
	}
	if err := call("create", vm.ToValue(key), jsSpec); err != nil {
		return "", err
	}
	if accepted {
		if err := call("enable", vm.ToValue(key)); err != nil {
			return "", err
		}
	}
	if !canceledAt.IsZero() {
		exec.Now = canceledAt
		opts := vm.NewObject()
		_ = opts.Set("atPeriodEnd", atPeriodEnd)
		if err := call("disable", vm.ToValue(key), opts); err != nil {
			return "", err
		}
	}
	return key, nil
}
