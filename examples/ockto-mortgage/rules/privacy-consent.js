// Record the applicant's acceptance of the current privacy statement when they give it now, then
// ask whether a given consent stands. A consent to an older revision is "stale" once the advisor
// revises the document (Consent.reviseDocument), and must be given again.
if (AcceptsPrivacyStatement) {
  const consent = Consent.create({type: "privacyPolicy", userId: ApplicantId, document: PrivacyStatement});
  if (consent.state !== "given") Consent.give(consent._id);
}
const check = Consent.check(ApplicantId, {type: "privacyPolicy"});
({allowed: check.allowed, reason: check.reason, givenAt: check.record?.givenAt ?? null})
