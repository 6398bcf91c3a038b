// Errors decline, warnings send the application to a person, else it is approved.
if (!Known || Age < MinAge || (Score !== null && Score < MinScore)) return "decline";
if (Score === null || DebtToIncome > MaxDebtToIncome) return "review";
return "approve";
