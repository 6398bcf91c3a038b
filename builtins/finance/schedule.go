package finance

import (
	"github.com/dop251/goja"

	"github.com/kubusdev/kubus/builtins"
)

// maxMonths bounds mortgageSchedule (100 years).
const maxMonths = 1200

// maxPrincipal keeps every amount in cents an exact integer in a float64 with room to spare.
const maxPrincipal = 1e13

// row is one month of a schedule, all amounts in whole cents.
type row struct {
	month                                 int
	payment, interest, principal, balance int64
}

// schedule computes a monthly schedule in whole cents, the way a bank books it: each month's
// interest is the balance times the monthly rate, rounded half away from zero to the cent; the
// principal part is the payment minus that interest (annuity) or the fixed repayment (linear).
//
//   - annuity: the payment is Excel's PMT(annualRate/12, months, principal) rounded to the cent and
//     is the same every month; linear: the principal part is principal/months rounded to the cent
//     (or rounded down, if rounding up would overshoot) and the same every month.
//   - The last month repays whatever balance is left, so the principal parts sum to the principal
//     (in cents) exactly and the last balance is exactly 0. Because the rounded payment differs
//     from the exact annuity by up to half a cent a month, compounded, the last annuity payment
//     can differ from the others by more than a cent on long schedules (at most about
//     0.005 · ((1+r)^months − 1)/r).
//   - A principal part is never negative and never more than the balance, so a degenerate input
//     (a few cents over many years) still gives a valid schedule rather than a negative balance.
func schedule(principalCents int64, annualRate float64, months int, linear bool) []row {
	r := annualRate / 12
	rows := make([]row, 0, months)
	balance := principalCents
	var payment, part int64
	if linear {
		q, rem := principalCents/int64(months), principalCents%int64(months)
		part = q
		if 2*rem >= int64(months) && principalCents-(q+1)*int64(months-1) >= 0 {
			part = q + 1
		}
	} else {
		payment = int64(roundTo(-pmt(r, float64(months), float64(principalCents), 0, 0), 0))
	}
	for m := 1; m <= months; m++ {
		interest := int64(roundTo(float64(balance)*r, 0))
		var p int64
		switch {
		case m == months:
			p = balance
		case linear:
			p = part
		default:
			p = payment - interest
		}
		p = max(0, min(p, balance))
		balance -= p
		rows = append(rows, row{month: m, payment: interest + p, interest: interest, principal: p, balance: balance})
	}
	return rows
}

func scheduleFn(h *builtins.Host) func(goja.FunctionCall) goja.Value {
	const fn = "Finance.mortgageSchedule"
	return func(call goja.FunctionCall) goja.Value {
		principal := h.Finite(call, 0, fn, "principal")
		if principal < 0.01 || principal > maxPrincipal {
			h.RangeError(fn, "principal must be between 0.01 and %.0f, got %s", maxPrincipal, builtins.Describe(call.Argument(0)))
		}
		annualRate := h.Finite(call, 1, fn, "annualRate")
		if annualRate < 0 || annualRate > 12 {
			h.RangeError(fn, "annualRate must be a decimal between 0 and 12 (0.04 = 4%% a year), got %s", builtins.Describe(call.Argument(1)))
		}
		months := h.IntIn(call, 2, fn, "months", 1, maxMonths)
		kind := h.String(call, 3, fn, "kind")
		var linear bool
		switch kind {
		case "annuity":
		case "linear":
			linear = true
		default:
			h.RangeError(fn, `kind must be "annuity" or "linear", got %s`, builtins.Describe(call.Argument(3)))
		}
		cents := int64(roundTo(principal*100, 0))
		rows := schedule(cents, annualRate, months, linear)
		vm := h.VM
		out := make([]any, len(rows))
		for i, rw := range rows {
			o := vm.NewObject()
			_ = o.Set("month", rw.month)
			_ = o.Set("payment", centsToFloat(rw.payment))
			_ = o.Set("interest", centsToFloat(rw.interest))
			_ = o.Set("principal", centsToFloat(rw.principal))
			_ = o.Set("balance", centsToFloat(rw.balance))
			out[i] = o
		}
		return vm.NewArray(out...)
	}
}

// centsToFloat is the float64 nearest to cents/100 (one correctly rounded division), so 103703
// becomes exactly the number JS writes as 1037.03.
func centsToFloat(c int64) float64 { return float64(c)/100 + 0 }
