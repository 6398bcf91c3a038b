// The first three years of the monthly schedule (in cents; the full schedule ends at exactly 0):
// the table of the offer, which runs onto its second page.
Finance.mortgageSchedule(LoanAmount, InterestRate, TermMonths, "annuity").slice(0, 36)
