// One status poll. After MaxPolls polls without a final status the session counts as expired.
state.Polls += 1;
state.OcktoStatus = Ockto.getStatus(SessionId());
if (state.OcktoStatus === "refused") state.Reason = "the applicant declined to share their data in Ockto";
if (state.OcktoStatus === "expired") state.Reason = "the Ockto session expired before the applicant shared their data";
const givenUp = !FinalStatuses.includes(state.OcktoStatus) && state.Polls >= MaxPolls;
if (givenUp) state.Reason = `no answer from Ockto after ${MaxPolls} polls`;
givenUp ? "expired" : state.OcktoStatus
