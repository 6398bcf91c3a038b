// The applicant's PSD2 consent (from Ockto) must cover the transactions of the salary account now;
// null while there is no salary account to ask about.
let answer = null;
if (SalaryAccount !== null) {
  const check = Consent.check(ApplicantId, {aisScope: "transactions", iban: SalaryAccount.iban});
  answer = {
    allowed: check.allowed,
    reason: check.reason,
    iban: SalaryAccount.iban,
    validUntil: check.record?.validUntil ?? null,
    daysLeft: check.record ? AisConsent.daysLeft(check.record) : null,
  };
}
answer
