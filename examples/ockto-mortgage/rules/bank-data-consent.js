// The applicant's PSD2 consent (from Ockto) must cover the transactions of the salary account now.
if (SalaryAccount === null) return null;
const check = Consent.check(ApplicantId, {aisScope: "transactions", iban: SalaryAccount.iban});
return {
  allowed: check.allowed,
  reason: check.reason,
  iban: SalaryAccount.iban,
  validUntil: check.record?.validUntil ?? null,
  daysLeft: check.record ? AisConsent.daysLeft(check.record) : null,
};
