// Exact decimal arithmetic for money: a value is {coef: BigInt, scale: Number}, meaning coef × 10^-scale.
// Costs arrive as decimal strings (sometimes in exponent form, e.g. "1.5E-7"); floats would drift.

const PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export const ZERO = Object.freeze({ coef: 0n, scale: 0 });

export function parseDecimal(value) {
  if (value === null || value === undefined || value === '') return ZERO;
  if (typeof value === 'bigint') return { coef: value, scale: 0 };
  const text = String(value).trim();
  const m = PATTERN.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new RangeError(`not a decimal number: ${text}`);
  }
  const [, sign, whole, frac = '', exp = '0'] = m;
  let coef = BigInt((whole || '0') + frac);
  let scale = frac.length - Number(exp);
  if (scale < 0) {
    coef *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { coef: sign === '-' ? -coef : coef, scale };
}

function rescale(d, scale) {
  return d.coef * 10n ** BigInt(scale - d.scale);
}

export function add(a, b) {
  const scale = Math.max(a.scale, b.scale);
  return { coef: rescale(a, scale) + rescale(b, scale), scale };
}

export function sum(values) {
  return values.reduce((acc, v) => add(acc, typeof v === 'object' && v !== null && 'coef' in v ? v : parseDecimal(v)), ZERO);
}

export function compare(a, b) {
  const scale = Math.max(a.scale, b.scale);
  const x = rescale(a, scale);
  const y = rescale(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

// Plain notation, no exponent, trailing zeros dropped: "0.0001234", "12", "0".
export function format(d) {
  const negative = d.coef < 0n;
  let digits = (negative ? -d.coef : d.coef).toString();
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0');
    const whole = digits.slice(0, digits.length - d.scale);
    const frac = digits.slice(digits.length - d.scale).replace(/0+$/, '');
    digits = frac ? `${whole}.${frac}` : whole;
  }
  if (digits === '0') return '0';
  return negative ? `-${digits}` : digits;
}

export function formatDecimalString(value) {
  try {
    return format(parseDecimal(value));
  } catch {
    return String(value);
  }
}

// Only for drawing: chart heights need a float, totals never do.
export function toNumber(d) {
  return Number(format(d));
}
