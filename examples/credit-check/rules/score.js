// The bureau answers {score} as JSON; a customer it does not know is a 404 (a response, not an
// error). Anything else that is not 2xx fails the execution: deciding without a score the bureau
// should have had would be wrong.
let score = null;
if (Known) {
  const r = Http.get(`${BureauUrl}/score/${CustomerId}.json`, {timeout: 3000, retries: 2});
  if (r.ok) score = r.json.score;
  else if (r.status !== 404) throw new Error(`the credit bureau answered ${r.status}`);
}
score
