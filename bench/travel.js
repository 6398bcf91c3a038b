// examples/travel-insurance written by hand for raw goja: what a goja user would write to get the
// same answers as the Kubus ruleset without Kubus. It is one script whose value is the function
// the host calls once per decision: run(input, today), with input the decoded JSON object (a Go
// map, read in place) and today the execution date in Europe/Amsterdam as YYYY-MM-DD (the host
// computes it: goja knows no time zone but the process's local one).
//
// It returns {output, alerts} like Kubus's Result, or {errors} with Kubus's input problems. The
// ruleset's built-ins (ROUND, AGE, DAYDIFF, AgeBands.lookupRow) are reimplemented below with the
// same semantics as Kubus's Go implementations; compare_test.go checks the answers against Kubus.
// Input dates must be YYYY-MM-DD: Kubus also reads RFC 3339, which would need the zone's DST rules.
//
// It is written for goja's speed, which is not V8's: every object, call and bytecode costs (tens
// of ns each), so dates stay strings, not objects, and ROUND's common case makes no call at all.
(function () {
  "use strict";

  // ruleset.yaml: constants.
  const BasePremiumPerDay = 1.25;
  const ItemFeePerDay = 0.35;
  const MinimumPremium = 5;
  const MaxTripDays = 180;
  const TooYoungMessage = "You are too young to apply for this insurance";
  const AreaFactors = { __proto__: null, north: 1.0, east: 1.1, south: 1.25, west: 1.05 }; // no "toString" area
  const Areas = "north, east, south, west"; // the enum's values, for its input problem

  // tables/age-bands.csv.
  const AgeBands = [
    { key: "child", from: 0, to: 17, surchargePerDay: 0.05 },
    { key: "young", from: 18, to: 30, surchargePerDay: 0.15 },
    { key: "adult", from: 31, to: 50, surchargePerDay: 0.10 },
    { key: "senior", from: 51, to: 69, surchargePerDay: 0.20 },
    { key: "elder", from: 70, to: 120, surchargePerDay: 0.45 },
  ];

  // The row whose inclusive [from, to] holds v, or null (Kubus's lookupRow).
  function lookupRow(v) {
    for (let i = 0; i < AgeBands.length; i++) {
      const b = AgeBands[i];
      if (v >= b.from && v <= b.to) return b;
    }
    return null;
  }

  // A date is its YYYY-MM-DD text, which compares chronologically with <, plus its UTC
  // milliseconds for day differences. Calendar dates in the ruleset's zone are what DAYDIFF and AGE
  // work on, and UTC days have no DST, so this is exact.

  // The UTC milliseconds of s, or NaN when s is not a valid YYYY-MM-DD (Go's time.DateOnly, which
  // Kubus parses with). Date.parse alone is lenient (it reads 2023-02-29 as 1 March); the round trip
  // through toISOString is what rejects everything else.
  function parseDate(s) {
    if (typeof s !== "string") return NaN;
    const ms = Date.parse(s);
    if (ms !== ms || new Date(ms).toISOString().slice(0, 10) !== s) return NaN;
    return ms;
  }

  // Kubus's DAYDIFF(a, b), on the dates' milliseconds: calendar days from a to b.
  function DAYDIFF(aMs, bMs) {
    return (bMs - aMs) / 86400000;
  }

  // Kubus's AGE(birth, at) on YYYY-MM-DD texts. Kubus counts whole months (a month is complete
  // when at's day of the month reaches birth's) and divides by 12; that is the difference of the
  // years, less one when at's MM-DD comes before birth's, so a 29 February birthday counts from
  // 1 March in other years.
  function AGE(birth, at) {
    if (birth > at) throw new RangeError("AGE: birthDate (" + birth + ") is after the date (" + at + ")");
    return parseInt(at, 10) - parseInt(birth, 10) - (at.slice(5) < birth.slice(5) ? 1 : 0);
  }

  // Kubus's ROUND(x, decimals): Excel's rounding of the 15-significant-digit decimal value, half
  // away from zero (ROUND(1.005, 2) === 1.01), not of the binary one. Away from a tie the binary
  // value rounds to the same integer, so the fast path is arithmetic (each call costs more in
  // goja); a value within 1e-13 of a tie, or out of the fast path's range, goes to roundDigits.
  const pow10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6];
  function ROUND(x, decimals) {
    const a = x < 0 ? -x : x;
    const p = pow10[decimals]; // undefined unless decimals is 0…6
    const y = a * p;
    if (y < 1e9) { // false for NaN, ±Infinity and a decimals outside 0…6
      const r = (y + 0.5) | 0;
      const off = r - y; // in (−0.5, 0.5] away from ties
      if (off < 0.5 - 1e-13 * (y + 1) && off > -0.5 + 1e-13 * (y + 1)) {
        const f = r / p;
        return x < 0 && f !== 0 ? -f : f;
      }
    }
    return roundDigits(x, decimals);
  }

  // ROUND for every other case, on the digits as Kubus's roundDecimal does.
  function roundDigits(x, decimals) {
    if (x === 0 || x !== x || x === Infinity || x === -Infinity) return x + 0;
    const s = Math.abs(x).toExponential(14); // d.dddddddddddddde±n: 15 significant digits
    const e = s.indexOf("e");
    let m = +(s[0] + s.slice(2, e)); // the 15 digits as an integer (< 2^53: exact)
    // Go writes the 15 digits rounding an exact tie (a 5 and nothing after at the 16th digit) to
    // even, toExponential rounds it up: undo that. (m odd: it may have been rounded up from a tie.)
    if (m % 2 === 1) {
      const t = Math.abs(x).toExponential(100); // exact: a double has few digits after the tie
      if (t[16] === "5" && /^0*$/.test(t.slice(17, 102))) m--;
    }
    const exp = +s.slice(e + 1);
    const k = -decimals - (exp - 14); // digits to drop
    if (k <= 0) { // nothing to drop: the 15-digit value itself
      const v = +(m + "e" + (exp - 14));
      return x < 0 ? -v : v;
    }
    let q = 0;
    if (k <= 15) {
      const p = 10 ** k;
      const r = m % p;
      q = (m - r) / p;
      if (r >= p / 2) q++;
    }
    if (q === 0) return 0;
    const f = decimals > 0 ? q / 10 ** decimals : q * 10 ** -decimals;
    return x < 0 ? -f : f;
  }

  // Kubus's describe(): how an input problem names the value it got. (A number is written as JS
  // writes it, which differs from Go's %g for tiny and huge ones: 0.000001 against 1e-06.)
  function describe(v) {
    switch (typeof v) {
      case "string":
        return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
      case "boolean":
      case "number":
        return String(v);
    }
    return Array.isArray(v) ? "an array" : "an object";
  }

  const dateProblem = "must be a date (YYYY-MM-DD or RFC 3339), got ";

  // A required date input's milliseconds, or NaN with its problem added to errors.
  function requiredDate(errors, name, raw) {
    if (raw === undefined || raw === null) {
      errors.push({ path: name, message: "required" });
      return NaN;
    }
    const ms = parseDate(raw);
    if (ms !== ms) errors.push({ path: name, message: dateProblem + describe(raw) });
    return ms;
  }

  run.ROUND = ROUND; // for TestRoundIdentical
  return run;

  function run(input, today) {
    // Inputs, validated in declared order with Kubus's messages; every problem is reported.
    const errors = [];
    const StartDate = input.StartDate, DateOfBirth = input.DateOfBirth;
    const start = requiredDate(errors, "StartDate", StartDate);
    const end = requiredDate(errors, "EndDate", input.EndDate);
    requiredDate(errors, "DateOfBirth", DateOfBirth);

    const CustomerArea = input.CustomerArea;
    if (CustomerArea === undefined || CustomerArea === null) {
      errors.push({ path: "CustomerArea", message: "required" });
    } else if (typeof CustomerArea !== "string" || AreaFactors[CustomerArea] === undefined) {
      errors.push({ path: "CustomerArea", message: "must be one of " + Areas + ", got " + describe(CustomerArea) });
    }

    let NumberOfItems = input.NumberOfItems;
    if (NumberOfItems === undefined || NumberOfItems === null) {
      NumberOfItems = 0;
    } else if (typeof NumberOfItems !== "number") {
      errors.push({ path: "NumberOfItems", message: "must be a number, got " + describe(NumberOfItems) });
    } else if (!isFinite(NumberOfItems)) {
      errors.push({ path: "NumberOfItems", message: "must be a finite number" });
    }

    const customerId = input["customer-id"]; // CustomerId: read, checked, used by no rule
    if (customerId !== undefined && customerId !== null && typeof customerId !== "string") {
      errors.push({ path: "customer-id", message: "must be a string, got " + describe(customerId) });
    }

    // Traveller: a Person; only its declared properties (and the calculated Age) are echoed.
    const t = input.Traveller;
    let traveller = null;
    if (t !== undefined && t !== null) {
      if (typeof t !== "object" || Array.isArray(t)) {
        errors.push({ path: "Traveller", message: "must be an object (Person), got " + describe(t) });
      } else {
        const name = t.Name;
        if (name === undefined || name === null) {
          errors.push({ path: "Traveller.Name", message: "required" });
        } else if (typeof name !== "string") {
          errors.push({ path: "Traveller.Name", message: "must be a string, got " + describe(name) });
        }
        let b = t.Birthdate;
        if (b === undefined) b = null;
        if (b !== null && isNaN(parseDate(b))) {
          errors.push({ path: "Traveller.Birthdate", message: dateProblem + describe(b) });
        }
        traveller = { Name: name, Birthdate: b, Age: null };
      }
    }
    if (errors.length > 0) return { errors: errors };

    // Rules, in declared order (which is also an order in which each reads only earlier ones).
    if (traveller !== null && traveller.Birthdate !== null) traveller.Age = AGE(traveller.Birthdate, today);
    const NumberOfDays = DAYDIFF(start, end);
    const AgeAtDeparture = AGE(DateOfBirth, StartDate);
    const band = lookupRow(AgeAtDeparture);
    const AgeBand = band === null ? null : band.key;
    const BasePremium = NumberOfDays * BasePremiumPerDay * AreaFactors[CustomerArea];
    if (band === null) throw new RangeError("no age band for age " + AgeAtDeparture); // AgeSurcharge
    const InsuranceCosts = ROUND(NumberOfDays * band.surchargePerDay, 2);
    const ValuablesFee = ROUND(NumberOfItems * ItemFeePerDay * NumberOfDays, 2);
    const premium = BasePremium + InsuranceCosts + ValuablesFee;
    const TotalPremium = NumberOfDays <= 0 ? 0 : ROUND(Math.max(premium, MinimumPremium), 2);

    // Alerts, in declared order.
    const alerts = [];
    if (AgeAtDeparture < 18) {
      alerts.push({ name: "TooYoung", level: "error", message: `${TooYoungMessage} (age ${AgeAtDeparture})` });
    }
    if (NumberOfDays > MaxTripDays) {
      alerts.push({ name: "TripTooLong", level: "error", message: `A trip of ${NumberOfDays} days is longer than the ${MaxTripDays} days we cover` });
    }
    if (NumberOfDays < 0) {
      alerts.push({ name: "ReturnBeforeDeparture", level: "error", message: "The day of return is before the first day of the trip" });
    }
    if (StartDate < today) { // DAYDIFF(TODAY(), StartDate) < 0
      alerts.push({ name: "StartsInThePast", level: "warning", message: "The trip has already started; cover begins today" });
    }
    if (NumberOfItems > 5) {
      alerts.push({ name: "ManyValuables", level: "info", message: `${NumberOfItems} valuables: ask for receipts` });
    }

    return {
      output: {
        Traveller: traveller,
        NumberOfDays: NumberOfDays,
        AgeAtDeparture: AgeAtDeparture,
        AgeBand: AgeBand,
        InsuranceCosts: InsuranceCosts,
        ValuablesFee: ValuablesFee,
        TotalPremium: TotalPremium,
        CoverStarts: StartDate, // a valid YYYY-MM-DD: already the date's output form
      },
      alerts: alerts,
    };
  }
})()
