// Formats the cases read from stdin (a JSON array) with Node's Intl, for TestIntl: one result per
// case, in order. The case kinds mirror NUM, CUR and Date.format; see intl_test.go.
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const cache = new Map();
const fmt = (kind, loc, opts) => {
  const key = kind + loc + JSON.stringify(opts);
  let f = cache.get(key);
  if (!f) {
    f = kind === 'n' ? new Intl.NumberFormat(loc, opts) : new Intl.DateTimeFormat(loc, { timeZone: 'UTC', calendar: 'gregory', ...opts });
    cache.set(key, f);
  }
  return f;
};
// part is the named field in ICU's pattern for the options; null when the pattern writes the
// field as a number (pt-PT writes a day with a short month as 15/01), so it shows no name.
const part = (f, d, type) => {
  const p = f.formatToParts(d).find(p => p.type === type);
  return p && !/^\p{Nd}+$/u.test(p.value) ? p.value : null;
};
const out = cases.map(c => {
  switch (c.k) {
    case 'num': return fmt('n', c.loc, { maximumSignificantDigits: 15 }).format(c.x);
    case 'numd': return fmt('n', c.loc, { minimumFractionDigits: c.d, maximumFractionDigits: c.d }).format(c.x);
    case 'cur': return fmt('n', c.loc, { style: 'currency', currency: c.c }).format(c.x);
    case 'curd': return fmt('n', c.loc, { style: 'currency', currency: c.c, minimumFractionDigits: c.d, maximumFractionDigits: c.d }).format(c.x);
    case 'month': {
      const d = new Date(Date.UTC(2024, c.m, 15, 12));
      if (c.inDate) return part(fmt('d', c.loc, { day: 'numeric', month: c.w }), d, 'month');
      return part(fmt('d', c.loc, { month: c.w }), d, 'month');
    }
    case 'day': {
      const d = new Date(Date.UTC(2024, 0, 7 + c.wd, 12)); // 7 January 2024 is a Sunday
      if (c.inDate) return part(fmt('d', c.loc, { weekday: c.w, day: 'numeric', month: 'long', year: 'numeric' }), d, 'weekday');
      return part(fmt('d', c.loc, { weekday: c.w }), d, 'weekday');
    }
    case 'ampm': {
      const d = new Date(Date.UTC(2024, 0, 1, c.h));
      return part(fmt('d', c.loc, { hour: 'numeric', hourCycle: 'h12' }), d, 'dayPeriod');
    }
    case 'version': return process.versions.cldr;
  }
  throw new Error('unknown case kind ' + c.k);
});
process.stdout.write(JSON.stringify(out));
