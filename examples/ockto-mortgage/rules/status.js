// Poll until the session reaches a final status or MaxPolls polls were made. Every status change
// is recorded with the session in the store (kubus audit shows them).
let status = Ockto.getStatus(Session.sessionId);
for (let poll = 1; poll < MaxPolls && !FinalStatuses.includes(status); poll++) {
  status = Ockto.getStatus(Session.sessionId);
}
status
