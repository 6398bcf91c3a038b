// A summary of the 30-year annuity schedule at the offered rate: what the household pays in
// interest over the whole term and in the first year, and what is left when the fixed rate ends.
const fixedMonths = Math.min(FixedRateYears * 12, TermMonths);
({
  totalInterest: ROUND(Schedule.sum(row => row.interest), 2),
  firstYearInterest: ROUND(Schedule.take(12).sum(row => row.interest), 2),
  balanceAfterFixedPeriod: Schedule[fixedMonths - 1].balance,
  lastPayment: Schedule.last().payment,
})
