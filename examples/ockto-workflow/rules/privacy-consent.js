// Record the applicant's acceptance of the current privacy statement when they gave it at the start,
// then ask whether a given consent stands. A consent to an older revision is "stale".
if (AcceptsPrivacyStatement) {
  const consent = Consent.create({type: "privacyPolicy", userId: ApplicantId, document: PrivacyStatement});
  if (consent.state !== "given") Consent.give(consent._id);
}
const check = Consent.check(ApplicantId, {type: "privacyPolicy"});
return {allowed: check.allowed, reason: check.reason};
