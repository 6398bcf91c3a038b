// Open the Ockto session. Its id is this visit's stepRunId, which stays the same when the step runs
// again (a retry, a store conflict), so a repeated start asks Ockto for the same session.
const started = Ockto.startSession(`wf-${Workflow.stepRunId}`, {
  testCaseId: Scenario ?? undefined,
  consentCode: Ockto.ConsentCodes.Algemeen,
  ocktoType: "hypotheek",
  odmVersion: "v3_2",
  requestDocuments: ["UWV", "UPO", "PSD2"],
  disablePartner: true,
  psd2InfoIncluded: true,
  psd2AmountOfMonths: 12,
});
state.Ockto = new OcktoSession({sessionId: started.sessionId, qrCode: started.qrCode});
console.log(`Ockto session ${started.sessionId}: show the applicant the QR code ${started.qrCode}`);
