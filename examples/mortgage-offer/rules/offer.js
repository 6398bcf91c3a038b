// The offer letter: a pdfmake-style definition, saved as a Document in the execution's transaction.
let offer = null;
if (Affordable) {
  const money = v => ({text: CUR(v), alignment: "right"});
  const rows = Schedule.map(m => [String(m.month), money(m.payment), money(m.interest), money(m.principal), money(m.balance)]);
  offer = PDF.create({
    name: "offerte.pdf",
    pageSize: "A4",
    pageMargins: [56, 72, 56, 64],
    info: {title: "Hypotheekofferte " + ApplicantName, author: Lender},
    defaultStyle: {fontSize: 10},
    styles: {h1: {fontSize: 18, bold: true, marginBottom: 12}, h2: {fontSize: 13, bold: true, marginTop: 16, marginBottom: 6}, small: {fontSize: 8, color: "#555555"}},
    header: {text: Lender + " · Hypotheekofferte", alignment: "right", fontSize: 8},
    footer: {text: "pagina {page} van {pages}", alignment: "center", fontSize: 8},
    content: [
      {text: "Hypotheekofferte", style: "h1"},
      `Beste ${ApplicantName},`,
      {text: `Graag doen wij je een offerte voor een annuïteitenhypotheek. De bedragen zijn bruto, vóór belastingvoordeel.`, margin: [0, 6, 0, 6]},
      {table: {headerRows: 1, widths: ["*", 140], body: [
        [{text: "Onderdeel", bold: true}, {text: "Bedrag", bold: true, alignment: "right"}],
        ["Hypotheekbedrag", {text: CUR(LoanAmount), alignment: "right"}],
        ["Rente per jaar", {text: NUM(InterestRate * 100, 2) + "%", alignment: "right"}],
        ["Looptijd", {text: TermMonths / 12 + " jaar", alignment: "right"}],
        ["Bruto maandlast", {text: CUR(MonthlyPayment), alignment: "right"}],
        ["Marktwaarde woning", {text: CUR(PropertyValue), alignment: "right"}],
      ]}, layout: "lightHorizontalLines"},
      {text: "Aflossingsschema: de eerste drie jaar per maand", style: "h2"},
      {table: {headerRows: 1, widths: [40, "*", "*", "*", "*"], body: [
        ["Maand", "Maandlast", "Rente", "Aflossing", "Restschuld"].map((h, i) => ({text: h, bold: true, fillColor: "#eeeeee", alignment: i ? "right" : "left"})),
        ...rows,
      ]}},
      {text: "Deze offerte is geldig tot zes weken na dagtekening. Aan deze offerte kunnen geen rechten worden ontleend zolang zij niet is ondertekend.", style: "small", margin: [0, 12, 0, 0]},
      {ul: ["Onderteken de offerte en stuur haar terug.", "Wij vragen daarna de taxatie en je salarisgegevens op."]},
      {qr: "https://acme-hypotheken.example/offerte", fit: 72, alignment: "right"},
    ],
  });
}
offer
