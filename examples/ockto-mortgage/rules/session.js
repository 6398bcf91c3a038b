// Resume the session named in the input, or start a new one. A new session id is unique per
// execution clock tick; Scenario (Ockto's testCaseId) picks what the simulator plays.
if (SessionId) return {sessionId: SessionId, qrCode: null, started: false};
const started = Ockto.startSession(`hyp-${Date.now()}`, {
  testCaseId: Scenario ?? undefined,
  consentCode: Ockto.ConsentCodes.Algemeen,
  ocktoType: "hypotheek",
  odmVersion: "v3_2",
  requestDocuments: ["UWV", "UPO", "PSD2"],
  disablePartner: true,
  psd2InfoIncluded: true,
  psd2AmountOfMonths: 12,
});
return {sessionId: started.sessionId, qrCode: started.qrCode, started: true};
