// Resume the session named in the input, or start a new one. A new session id is unique per
// execution clock tick; Scenario (Ockto's testCaseId) picks what the simulator plays.
let session;
if (SessionId) {
  session = {sessionId: SessionId, qrCode: null, started: false};
} else {
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
  session = {sessionId: started.sessionId, qrCode: started.qrCode, started: true};
}
session
