// The applicant's PSD2 consent (from Ockto) must cover the transactions of the salary account now.
const check = Consent.check(ApplicantId, {aisScope: "transactions", iban: account.iban});
return {allowed: check.allowed, reason: check.reason, iban: account.iban};
