// Per employer (UWV): the contractual yearly income (monthly salary × 12 plus holiday allowance,
// plus a thirteenth month) and the months in which the bank shows a salary payment from them.
const months = odm.psd2?.monthsIncluded ?? 0;
const payments = bankUsable ? account.transactions.filter(t => t.amount > 0) : [];
return odm.income.employers.map(e => {
  const yearly = e.monthlyGrossSalary * 12 * (1 + e.holidayAllowancePercentage / 100) + (e.thirteenthMonth ? e.monthlyGrossSalary : 0);
  const paid = new Set(payments.filter(t => t.counterpartyName === e.name).map(t => t.bookingDate.slice(0, 7))).size;
  const needed = e.employmentType === "permanent" ? Math.min(PermanentSalaryMonths, months) : months;
  return {employer: e.name, yearlyIncome: ROUND(yearly, 2), salaryMonths: paid, monthsNeeded: needed, counts: bankUsable && paid >= needed};
});
