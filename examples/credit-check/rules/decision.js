// Errors decline, warnings send the application to a person, else it is approved.
const declined = !Known || Age < MinAge || (Score !== null && Score < MinScore);
const doubtful = Score === null || DebtToIncome > MaxDebtToIncome;
declined ? "decline" : doubtful ? "review" : "approve"
