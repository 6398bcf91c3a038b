// The shared data, used only within the consents: the privacy statement for any use, the PSD2
// consent of the salary account for its transactions. The income counts when the bank confirms it.
const odm = Ockto.getResult(SessionId());
const privacy = PrivacyConsent();
state.Income = null;
state.VerifiedIncome = null;
if (!privacy.allowed) {
  state.Reason = `no usable consent to the privacy statement (${privacy.reason}): the shared data is not used`;
} else {
  const account = odm.psd2?.accounts?.[0] ?? null;
  const bank = account === null ? {allowed: false, reason: "no account shared"} : BankDataConsent(account);
  const income = EmployerIncome(odm, account, bank.allowed);
  state.Income = income;
  const counted = income.filter(e => e.counts);
  if (bank.allowed && counted.length > 0) state.VerifiedIncome = ROUND(counted.sum(e => e.yearlyIncome), 2);
  else state.Reason = bank.allowed ? "the bank confirms no salary" : `the bank data may not be read (${bank.reason})`;
}
