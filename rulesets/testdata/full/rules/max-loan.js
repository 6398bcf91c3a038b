// The maximum loan depends on the costs and the applicant's age.
const age = AGE(DateOfBirth);
let max = InsuranceCosts * 100;
if (age > 65) {
  max = max / 2;
}
Math.round(max)
