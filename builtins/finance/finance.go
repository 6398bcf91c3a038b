// Package finance is the "Finance" module: annuity factors, Excel-compatible time-value-of-money
// functions (PV, FV, PMT, NPER, RATE, IPMT, PPMT, NPV, IRR, XNPV, XIRR, EFFECT, NOMINAL) and
// mortgage schedules, under the global namespace Finance. See /shared/design/builtins.md.
//
// Rates are decimals per period (0.06 = 6%). Like Excel, money paid out is negative and money
// received positive; type 0 means payments at the end of each period, 1 at the beginning.
package finance

import (
	"errors"
	"math"

	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// Module installs the Finance namespace.
var Module = builtins.Namespace{Global: "Finance", Doc: namespaceDoc, Fns: functions}

const namespaceDoc = "Financial functions. Rates are decimals per period (0.06 = 6%); as in Excel, money paid out is negative and money received positive; type 0 = payments at the end of each period (default), 1 = at the beginning."

type impl = func(h *builtins.Host) func(goja.FunctionCall) goja.Value

var functions = []builtins.Fn{
	{
		Name:      "annuity",
		Signature: "(rate: number, n: number): number",
		Doc:       "Annuity factor rate / (1 − (1 + rate)^−n): the payment per period that repays 1 in n periods (1/n at 0%); rates are decimals: 0.06 = 6% per period.",
		Example:   "Finance.annuity(0.06, 30) // 0.07264891149004722",
		Impl:      annuityFn,
	},
	{
		Name:      "An",
		Signature: "(rate: number, n: number): number",
		Doc:       "Present value of 1 due in n periods: (1 + rate)^−n; rates are decimals: 0.06 = 6% per period.",
		Example:   "Finance.An(0.06, 30) // 0.17411013091063457",
		Impl:      factorFn("Finance.An", presentValueOf1),
	},
	{
		Name:      "Sn",
		Signature: "(rate: number, n: number): number",
		Doc:       "Future value of 1 after n periods: (1 + rate)^n; rates are decimals: 0.06 = 6% per period.",
		Example:   "Finance.Sn(0.06, 30) // 5.74349117291325",
		Impl:      factorFn("Finance.Sn", futureValueOf1),
	},
	{
		Name:      "annuityDuration",
		Signature: "(rate: number, annuity: number): number",
		Doc:       "Number of periods n for which annuity(rate, n) equals the given annuity factor, rounded to 10 decimals; throws a RangeError if the factor never repays (annuity ≤ rate); rates are decimals: 0.06 = 6%.",
		Example:   "Finance.annuityDuration(0.06, 0.07264891149004721) // 30",
		Impl:      annuityDurationFn,
	},
	{
		Name:      "pv",
		Signature: "(rate: number, nper: number, pmt: number, fv?: number, type?: 0 | 1): number",
		Doc:       "Present value (Excel PV) of nper payments pmt and a final amount fv; rates are decimals per period: 0.08/12 = 8% a year paid monthly.",
		Example:   "Finance.pv(0.08 / 12, 240, 500) // -59777.14585118802",
		Impl:      pvFn,
	},
	{
		Name:      "fv",
		Signature: "(rate: number, nper: number, pmt: number, pv?: number, type?: 0 | 1): number",
		Doc:       "Future value (Excel FV) after nper payments pmt on a starting amount pv; rates are decimals per period: 0.06/12 = 6% a year paid monthly.",
		Example:   "Finance.fv(0.06 / 12, 10, -200, -500, 1) // 2581.403374060179",
		Impl:      fvFn,
	},
	{
		Name:      "pmt",
		Signature: "(rate: number, nper: number, pv: number, fv?: number, type?: 0 | 1): number",
		Doc:       "Payment per period (Excel PMT) that turns pv into fv in nper periods; negative when pv is a loan received; rates are decimals per period: 0.05/12 = 5% a year paid monthly.",
		Example:   "Finance.pmt(0.05 / 12, 360, 200000) // -1073.6432460242781",
		Impl:      pmtFn,
	},
	{
		Name:      "nper",
		Signature: "(rate: number, pmt: number, pv: number, fv?: number, type?: 0 | 1): number",
		Doc:       "Number of periods (Excel NPER) for payments pmt to turn pv into fv (may be fractional or negative); throws a RangeError if no number of periods does; rates are decimals per period.",
		Example:   "Finance.nper(0.12 / 12, -100, -1000, 10000, 1) // 59.67386567429462",
		Impl:      nperFn,
	},
	{
		Name:      "rate",
		Signature: "(nper: number, pmt: number, pv: number, fv?: number, type?: 0 | 1, guess?: number): number",
		Doc:       "Interest rate per period (Excel RATE), as a decimal (0.01 = 1%), by Newton's method from guess (default 0.1) with a bisection fallback; throws a RangeError if no rate exists (naming the range searched, at most -0.999999 to 1e10) or it does not converge.",
		Example:   "Finance.rate(48, -200, 8000) // 0.00770147248820204",
		Impl:      rateFn,
	},
	{
		Name:      "ipmt",
		Signature: "(rate: number, per: number, nper: number, pv: number, fv?: number, type?: 0 | 1): number",
		Doc:       "Interest part (Excel IPMT) of payment number per (an integer, 1..nper); rates are decimals per period: 0.1/12 = 10% a year paid monthly.",
		Example:   "Finance.ipmt(0.1 / 12, 1, 36, 8000) // -66.66666666666667",
		Impl:      partFn("Finance.ipmt", ipmt),
	},
	{
		Name:      "ppmt",
		Signature: "(rate: number, per: number, nper: number, pv: number, fv?: number, type?: 0 | 1): number",
		Doc:       "Principal part (Excel PPMT) of payment number per (an integer, 1..nper): pmt − ipmt, computed directly so that it stays accurate when it is a tiny part of the payment; rates are decimals per period: 0.1/12 = 10% a year paid monthly.",
		Example:   "Finance.ppmt(0.1 / 12, 1, 24, 2000) // -75.62318600836635",
		Impl:      partFn("Finance.ppmt", ppmt),
	},
	{
		Name:      "npv",
		Signature: "(rate: number, values: number[]): number",
		Doc:       "Net present value (Excel NPV) of values at the end of periods 1, 2, ... (the first value is discounted one period, as in Excel); rates are decimals per period: 0.1 = 10%.",
		Example:   "Finance.npv(0.1, [-10000, 3000, 4200, 6800]) // 1188.44341233522",
		Impl:      npvFn,
	},
	{
		Name:      "irr",
		Signature: "(values: number[], guess?: number): number",
		Doc:       "Internal rate of return (Excel IRR) of values at periods 0, 1, 2, ..., as a decimal per period (0.087 = 8.7%); needs a positive and a negative value; Newton from guess (default 0.1) with a bisection fallback; throws a RangeError if no rate exists (naming the range searched) or it does not converge.",
		Example:   "Finance.irr([-70000, 12000, 15000, 18000, 21000, 26000]) // 0.08663094803653175",
		Impl:      irrFn,
	},
	{
		Name:      "xnpv",
		Signature: "(rate: number, values: number[], dates: (Date | string)[]): number",
		Doc:       "Net present value (Excel XNPV) of values on dates (Dates or \"YYYY-MM-DD\"), discounted per 365 days from the first date; rate is an annual decimal: 0.09 = 9%.",
		Example:   "Finance.xnpv(0.09, [-10000, 2750, 4250, 3250, 2750], [\"2008-01-01\", \"2008-03-01\", \"2008-10-30\", \"2009-02-15\", \"2009-04-01\"]) // 2086.6476020315363",
		Impl:      xnpvFn,
	},
	{
		Name:      "xirr",
		Signature: "(values: number[], dates: (Date | string)[], guess?: number): number",
		Doc:       "Internal rate of return (Excel XIRR) of values on dates (Dates or \"YYYY-MM-DD\"), as an annual decimal per 365 days (0.37 = 37%); needs a positive and a negative value; throws a RangeError if no rate exists (naming the range searched) or it does not converge.",
		Example:   "Finance.xirr([-10000, 2750, 4250, 3250, 2750], [\"2008-01-01\", \"2008-03-01\", \"2008-10-30\", \"2009-02-15\", \"2009-04-01\"]) // 0.37336253351883164",
		Impl:      xirrFn,
	},
	{
		Name:      "effect",
		Signature: "(nominalRate: number, npery: number): number",
		Doc:       "Effective annual rate (Excel EFFECT) of a nominal annual rate compounded npery times a year: (1 + nominalRate/npery)^npery − 1; rates are decimals: 0.0525 = 5.25%.",
		Example:   "Finance.effect(0.0525, 4) // 0.05354266737075805",
		Impl:      effectFn,
	},
	{
		Name:      "nominal",
		Signature: "(effectRate: number, npery: number): number",
		Doc:       "Nominal annual rate (Excel NOMINAL) compounded npery times a year that gives the effective annual rate effectRate; rates are decimals: 0.0535427 = 5.35427%.",
		Example:   "Finance.nominal(0.0535427, 4) // 0.052500031377467074",
		Impl:      nominalFn,
	},
	{
		Name:      "mortgageSchedule",
		Signature: "(principal: number, annualRate: number, months: number, kind: \"annuity\" | \"linear\"): { month: number; payment: number; interest: number; principal: number; balance: number }[]",
		Doc:       "Monthly repayment schedule in cents (monthly rate annualRate/12; annualRate is a decimal: 0.04 = 4% a year): annuity = constant payment, linear = constant principal part; the last month settles the rounding so the balance ends at exactly 0.",
		Example:   "Finance.mortgageSchedule(200000, 0.05, 360, \"annuity\")[0] // {month: 1, payment: 1073.64, interest: 833.33, principal: 240.31, balance: 199759.69}",
		Impl:      scheduleFn,
	},
}

func annuityFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.annuity"
	return func(call goja.FunctionCall) goja.Value {
		r := rateArg(h, call, 0, fn, "rate")
		n := positiveArg(h, call, 1, fn, "n")
		return result(h, fn, annuity(r, n), "")
	}
}

func factorFn(fn string, f func(r, n float64) float64) impl {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			r := rateArg(h, call, 0, fn, "rate")
			n := nonNegativeArg(h, call, 1, fn, "n")
			return result(h, fn, f(r, n), "")
		}
	}
}

func annuityDurationFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.annuityDuration"
	return func(call goja.FunctionCall) goja.Value {
		r := rateArg(h, call, 0, fn, "rate")
		a := positiveArg(h, call, 1, fn, "annuity")
		n := annuityDuration(r, a)
		if !finite(n) {
			h.RangeError(fn, "an annuity of %s never repays at rate %s: it must be greater than the rate", builtins.Describe(call.Argument(1)), builtins.Describe(call.Argument(0)))
		}
		return result(h, fn, roundTo(n, 10), "")
	}
}

// tvmFn makes pv, fv and pmt: they take (rate, nper, x, y = 0, type = 0) and differ only in what
// x and y are and in the formula.
func tvmFn(fn, x, y string, f func(rate, nper, x, y float64, typ int) float64) func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			r := rateArg(h, call, 0, fn, "rate")
			n := positiveArg(h, call, 1, fn, "nper")
			a := h.Finite(call, 2, fn, x)
			b := h.OptFinite(call, 3, fn, y, 0)
			t := typeArg(h, call, 4, fn)
			return result(h, fn, f(r, n, a, b, t), "")
		}
	}
}

var (
	pvFn  = tvmFn("Finance.pv", "pmt", "fv", pv)
	fvFn  = tvmFn("Finance.fv", "pmt", "pv", fv)
	pmtFn = tvmFn("Finance.pmt", "pv", "fv", pmt)
)

func nperFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.nper"
	return func(call goja.FunctionCall) goja.Value {
		r := rateArg(h, call, 0, fn, "rate")
		p := h.Finite(call, 1, fn, "pmt")
		v := h.Finite(call, 2, fn, "pv")
		f := h.OptFinite(call, 3, fn, "fv", 0)
		t := typeArg(h, call, 4, fn)
		return result(h, fn, nper(r, p, v, f, t), "no number of periods turns pv into fv with these payments (check the signs: money paid out is negative)")
	}
}

func rateFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.rate"
	return func(call goja.FunctionCall) goja.Value {
		n := positiveArg(h, call, 0, fn, "nper")
		p := h.Finite(call, 1, fn, "pmt")
		v := h.Finite(call, 2, fn, "pv")
		f := h.OptFinite(call, 3, fn, "fv", 0)
		t := typeArg(h, call, 4, fn)
		guess := optRateArg(h, call, 5, fn, "guess", 0.1)
		// Every term of the equation has the sign of its amount, so one sign means no root (all
		// zero solves it at any rate: solve returns the guess).
		if (p != 0 || v != 0 || f != 0) && !signChange([]float64{p, v, f}) {
			h.RangeError(fn, "no rate exists: pmt, pv and fv need at least one positive and one negative amount (money paid out is negative, money received positive)")
		}
		r := solveRate(h, fn, rateEquation(n, p, v, f, t), guess, "the net present value of pv, the payments and fv", " (check the signs: money paid out is negative)")
		return result(h, fn, r, "")
	}
}

func partFn(fn string, f func(r, per, n, pv, fv float64, typ int) float64) impl {
	return func(h *builtins.Host) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			r := rateArg(h, call, 0, fn, "rate")
			per := h.IntIn(call, 1, fn, "per", 1, builtins.MaxSafeInteger)
			n := positiveArg(h, call, 2, fn, "nper")
			v := h.Finite(call, 3, fn, "pv")
			fvv := h.OptFinite(call, 4, fn, "fv", 0)
			t := typeArg(h, call, 5, fn)
			if float64(per) > n {
				h.RangeError(fn, "per must be between 1 and nper (%s), got %d", builtins.Describe(call.Argument(2)), per)
			}
			return result(h, fn, f(r, float64(per), n, v, fvv, t), "")
		}
	}
}

func npvFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.npv"
	return func(call goja.FunctionCall) goja.Value {
		r := rateArg(h, call, 0, fn, "rate")
		values := numbersArg(h, call, 1, fn, "values", 1)
		return result(h, fn, npv(r, values), "")
	}
}

const noSignChange = "no rate exists: the values need at least one positive and one negative cash flow"

// solveRate runs solve for rate, irr and xirr and throws the RangeError that says why it failed:
// no rate exists when solve proved that what (a net present value) keeps one sign over the whole
// range it searches; otherwise a root may exist that it did not find. hint ends both messages.
func solveRate(h *builtins.Host, fn string, f rootFunc, guess float64, what, hint string) float64 {
	// A solve may evaluate f a few thousand times, each over every cash flow: it stops when the
	// execution's time is up (checked every 16 evaluations) rather than run past the timeout.
	exec, calls, expired := h.Exec(), 0, false
	r, err := solve(func(r float64) (v, d, scale float64, parts [3]float64) {
		if calls++; calls%16 == 0 && !expired {
			expired = exec.Expired()
		}
		if expired {
			return math.NaN(), math.NaN(), 0, parts
		}
		return f(r)
	}, guess)
	var none *noRootError
	switch {
	case expired:
		h.RangeError(fn, "stopped after %d evaluations: the execution's time is up", calls)
	case errors.As(err, &none):
		h.RangeError(fn, "no rate exists in the range searched (%s to %s): %s is %s at every rate in it%s",
			builtins.Describe(h.VM.ToValue(none.lo)), builtins.Describe(h.VM.ToValue(none.hi)), what, none.sign(), hint)
	case err != nil:
		h.RangeError(fn, "did not converge after %d iterations; try another guess%s", maxIter, hint)
	}
	return r
}

func irrFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.irr"
	return func(call goja.FunctionCall) goja.Value {
		values := numbersArg(h, call, 0, fn, "values", 2)
		guess := optRateArg(h, call, 1, fn, "guess", 0.1)
		if !signChange(values) {
			h.RangeError(fn, noSignChange)
		}
		r := solveRate(h, fn, irrEquation(values), guess, "the net present value", "")
		return result(h, fn, r, "")
	}
}

func xnpvFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.xnpv"
	return func(call goja.FunctionCall) goja.Value {
		r := rateArg(h, call, 0, fn, "rate")
		values := numbersArg(h, call, 1, fn, "values", 1)
		days := daysArg(h, call, 2, fn, "dates", len(values), "values")
		return result(h, fn, xnpv(r, values, days), "")
	}
}

func xirrFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.xirr"
	return func(call goja.FunctionCall) goja.Value {
		values := numbersArg(h, call, 0, fn, "values", 2)
		days := daysArg(h, call, 1, fn, "dates", len(values), "values")
		guess := optRateArg(h, call, 2, fn, "guess", 0.1)
		if !signChange(values) {
			h.RangeError(fn, noSignChange)
		}
		r := solveRate(h, fn, xirrEquation(values, days), guess, "the net present value", "")
		return result(h, fn, r, "")
	}
}

func effectFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.effect"
	return func(call goja.FunctionCall) goja.Value {
		nom := h.Finite(call, 0, fn, "nominalRate")
		n := h.IntIn(call, 1, fn, "npery", 1, builtins.MaxSafeInteger)
		if nom/float64(n) <= -1 {
			h.RangeError(fn, "nominalRate / npery must be greater than -1 (-100%%), got %s", builtins.Describe(h.VM.ToValue(nom/float64(n))))
		}
		return result(h, fn, effect(nom, float64(n)), "")
	}
}

func nominalFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.nominal"
	return func(call goja.FunctionCall) goja.Value {
		eff := rateArg(h, call, 0, fn, "effectRate")
		n := h.IntIn(call, 1, fn, "npery", 1, builtins.MaxSafeInteger)
		return result(h, fn, nominal(eff, float64(n)), "")
	}
}
