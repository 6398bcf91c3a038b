// The shared data, used only within the consents: the privacy statement for any use, the PSD2
// consent of the salary account for its transactions. The income counts when the bank confirms it.
const odm = Ockto.getResult(state.Ockto.sessionId);
const privacy = PrivacyConsent();
if (!privacy.allowed) {
  state.Income = null;
  state.VerifiedIncome = null;
  state.Reason = `no usable consent to the privacy statement (${privacy.reason}): the shared data is not used`;
  return;
}
const account = odm.psd2?.accounts?.[0] ?? null;
const bank = account === null ? {allowed: false, reason: "no account shared"} : BankDataConsent(account);
state.Income = EmployerIncome(odm, account, bank.allowed);
const counted = state.Income.filter(e => e.counts);
state.VerifiedIncome = bank.allowed && counted.length > 0 ? ROUND(counted.sum(e => e.yearlyIncome), 2) : null;
if (state.VerifiedIncome === null) {
  state.Reason = bank.allowed ? "the bank confirms no salary" : `the bank data may not be read (${bank.reason})`;
}
