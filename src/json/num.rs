//! Decimal text <-> f64, exactly as JavaScript does it.
//!
//! Formatting gives ECMAScript's `Number::toString` digits (the shortest that
//! round-trip); parsing rounds correctly (what `parseFloat` and `JSON.parse`
//! do). Natively both come from core (`{:e}` and `str::parse`). In wasm the
//! host JS engine already has both, exact by the ECMAScript spec, so the wasm
//! build asks it (`String(n)`, `parseFloat`) through the facade instead of
//! shipping core's Grisu/Dragon formatting and its dec2flt parser with a 10 KB
//! power-of-five table: about 11 KB of gzip every shopper downloads.
//!
//! One known difference: when two shortest digit strings are exactly as close
//! to the number (2110819655532947.25 with 17 digits), ECMAScript takes the
//! even last digit ("...47.2") and core's `{:e}` rounds up ("...47.3"). The
//! wasm build prints what JS prints; native builds keep core's choice. Both
//! round-trip to the same f64.
//!
//! Common short numbers (prices, scores) never cross to the host: parsing
//! takes Clinger's fast path (an integer mantissa below 2^53 times or divided
//! by an exact power of ten is one correctly rounded operation), and the
//! writer prints safe integers itself.

/// 10^0 ..= 10^22: every one is exact in an f64 (5^22 < 2^53).
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
];

/// The f64 nearest to a decimal literal: optional sign, digits with at most
/// one `.` (at least one digit on either side of it), optional exponent
/// (`e`/`E`, optional sign, digits). This is the grammar callers have already
/// checked (JSON numbers, JsonLogic's numeric strings, ISO-8601 fractions);
/// anything else gives `None`. Overflow gives an infinity, underflow 0.
pub fn parse_decimal(text: &str) -> Option<f64> {
    match clinger_fast_path(text.as_bytes()) {
        Some(n) => Some(n),
        None => parse_decimal_exact(text),
    }
}

/// Exact when the digits, read as an integer, are below 2^53 and the decimal
/// exponent is within ±22; `None` for everything else (including text outside
/// the grammar, which the exact path then rejects).
fn clinger_fast_path(b: &[u8]) -> Option<f64> {
    let (negative, rest) = split_sign(b);
    let (mantissa_text, exp_text) = match rest.iter().position(|c| matches!(c, b'e' | b'E')) {
        Some(at) => {
            let (m, e) = rest.split_at(at);
            (m, e.get(1..))
        }
        None => (rest, None),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut frac_digits = 0i32;
    let mut seen_point = false;
    for &c in mantissa_text {
        match c {
            b'0'..=b'9' => {
                // c & 0x0f is the digit's value for b'0'..=b'9'.
                mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(c & 0x0f))?;
                digits = digits.saturating_add(1);
                if seen_point {
                    frac_digits = frac_digits.saturating_add(1);
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if digits == 0 || mantissa >= MAX_EXACT_MANTISSA {
        return None;
    }
    let exp = match exp_text {
        None => 0,
        Some(text) => {
            let (exp_negative, exp_digits) = split_sign(text);
            // More than 3 exponent digits is never within ±22 after the shift.
            if exp_digits.is_empty() || exp_digits.len() > 3 || !exp_digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let e = exp_digits.iter().fold(0i32, |e, c| e.saturating_mul(10).saturating_add(i32::from(c & 0x0f)));
            if exp_negative {
                e.saturating_neg()
            } else {
                e
            }
        }
    };
    let exp = exp.saturating_sub(frac_digits);
    let m = mantissa as f64; // exact: below 2^53
    let n = if exp >= 0 {
        m * *EXACT_POWERS_OF_TEN.get(exp.unsigned_abs() as usize)?
    } else {
        m / *EXACT_POWERS_OF_TEN.get(exp.unsigned_abs() as usize)?
    };
    Some(if negative { -n } else { n })
}

/// 2^53: integers below it are exact in an f64.
const MAX_EXACT_MANTISSA: u64 = 9_007_199_254_740_992;

fn split_sign(b: &[u8]) -> (bool, &[u8]) {
    match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    }
}

fn parse_decimal_exact(text: &str) -> Option<f64> {
    if !is_decimal_literal(text.as_bytes()) {
        return None;
    }
    #[cfg(not(target_arch = "wasm32"))]
    let n = text.parse::<f64>().ok()?;
    #[cfg(target_arch = "wasm32")]
    let n = crate::wasm::host::parse_float(text);
    (!n.is_nan()).then_some(n)
}

/// The grammar of [`parse_decimal`], checked before the exact parser: core's
/// also accepts "inf" and "nan", the host's `parseFloat` a numeric prefix
/// ("1x") and "Infinity".
fn is_decimal_literal(b: &[u8]) -> bool {
    let (_, rest) = split_sign(b);
    let (mantissa, exp) = match rest.iter().position(|c| matches!(c, b'e' | b'E')) {
        Some(at) => {
            let (m, e) = rest.split_at(at);
            (m, e.get(1..))
        }
        None => (rest, None),
    };
    let (int_part, frac_part) = match mantissa.iter().position(|&c| c == b'.') {
        Some(at) => {
            let (i, f) = mantissa.split_at(at);
            (i, f.get(1..).unwrap_or_default())
        }
        None => (mantissa, &[][..]),
    };
    let all_digits = |t: &[u8]| t.iter().all(u8::is_ascii_digit);
    let mantissa_ok = all_digits(int_part) && all_digits(frac_part) && !(int_part.is_empty() && frac_part.is_empty());
    let exp_ok = match exp {
        None => true,
        Some(text) => {
            let (_, digits) = split_sign(text);
            !digits.is_empty() && all_digits(digits)
        }
    };
    mantissa_ok && exp_ok
}

/// Appends what JavaScript's `String(n)` gives for a finite, non-zero `n`
/// that is not a safe integer (the writer prints those itself).
#[cfg(target_arch = "wasm32")]
pub(crate) fn write_shortest(n: f64, out: &mut String) {
    out.push_str(&crate::wasm::host::number_to_string(n));
}

/// Appends what JavaScript's `String(n)` gives for a finite, non-zero `n`:
/// core's `{:e}` digits laid out by ECMAScript's Number::toString rules.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn write_shortest(n: f64, out: &mut String) {
    use std::fmt::Write as _;
    // `{:e}` gives the shortest round-trip digits: "1.2345e-7", "5e21".
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // exp is an f64's decimal exponent (-324..=308) and k <= 17, so the
    // saturating ops below never saturate.
    let point = exp.saturating_add(1); // ECMAScript's n: the decimal point sits after `point` digits
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', point.saturating_sub(k) as usize));
    } else if 0 < point && point <= 21 {
        let (a, b) = digits.split_at(point as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.saturating_neg() as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = point.saturating_sub(1);
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

/// JavaScript's `a % b` (C's `fmod`): the remainder of `a / b` truncated
/// toward zero, with the sign of `a`, computed exactly.
///
/// Rust's `%` on f64 is the same function, but in wasm it links compiler
/// builtins' generic `fmod` and, through its 128-bit narrowing division,
/// `u128_div_rem` (~1.9 KB of wasm). This is the schoolbook version on the
/// integer significands, in 64-bit words only; a native test compares it
/// with `%` bit for bit.
pub fn js_remainder(a: f64, b: f64) -> f64 {
    const EXP_MASK: u64 = 0x7ff0_0000_0000_0000;
    const FRACTION_MASK: u64 = (1 << 52) - 1;
    const IMPLICIT_BIT: u64 = 1 << 52;
    const SIGN_BIT: u64 = 1 << 63;
    let (a_bits, b_bits) = (a.to_bits(), b.to_bits());
    let (a_abs, b_abs) = (a_bits & !SIGN_BIT, b_bits & !SIGN_BIT);
    // NaN or ±Infinity as the dividend, NaN or ±0 as the divisor: NaN.
    if a_abs >= EXP_MASK || b_abs > EXP_MASK || b_abs == 0 {
        return f64::NAN;
    }
    // |a| < |b| (also every finite a over ±Infinity): a itself, -0 included.
    if a_abs < b_abs {
        return a;
    }
    // |x| = significand * 2^(exponent - 1075), with exponent >= 1 (the
    // subnormals' exponent field 0 counts as 1, without the implicit bit).
    let split = |abs: u64| -> (u64, u64) {
        let field = abs >> 52;
        if field == 0 {
            (abs, 1)
        } else {
            ((abs & FRACTION_MASK) | IMPLICIT_BIT, field)
        }
    };
    let (a_sig, a_exp) = split(a_abs);
    let (b_sig, mut exp) = split(b_abs);
    // (a_sig * 2^(a_exp - exp)) mod b_sig, a few bits at a time: the
    // remainder is below b_sig < 2^53, so 11 more bits still fit in 64.
    // b is not ±0 here, so b_sig >= 1 and the remainder always exists.
    let rem_of = |n: u64| n.checked_rem(b_sig).unwrap_or(0);
    let mut rem = rem_of(a_sig);
    let mut shift_left = a_exp.saturating_sub(exp);
    while shift_left > 0 && rem != 0 {
        let step = shift_left.min(11);
        rem = rem_of(rem << step);
        shift_left = shift_left.saturating_sub(step);
    }
    let sign = a_bits & SIGN_BIT;
    if rem == 0 {
        return f64::from_bits(sign);
    }
    // rem * 2^(exp - 1075), exact: normalise the significand to bit 52 as far
    // as the exponent allows; what stays below bit 52 at exponent 1 is subnormal.
    let to_top = u64::from(rem.leading_zeros().saturating_sub(11));
    let shift = to_top.min(exp.saturating_sub(1));
    rem <<= shift;
    exp = exp.saturating_sub(shift);
    let bits = if rem & IMPLICIT_BIT != 0 { (exp << 52) | (rem & FRACTION_MASK) } else { rem };
    f64::from_bits(sign | bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_remainder(a: f64, b: f64) {
        let (got, want) = (js_remainder(a, b), a % b);
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "{a:e} % {b:e}: {got:e} ({:#x}), std {want:e} ({:#x})",
            got.to_bits(),
            want.to_bits()
        );
    }

    /// Bit for bit what std's `%` (fmod) gives: special values, signs, exact
    /// multiples, subnormals, and random bit patterns over every exponent.
    #[test]
    fn remainder_matches_std_fmod_bit_for_bit() {
        let specials = [
            0.0, -0.0, 1.0, -1.0, 0.5, 3.0, -7.5, 10.0, 0.1, 1e-300, 5e-324, -5e-324, 2.2250738585072014e-308,
            2.225073858507201e-308, 1e300, f64::MAX, f64::MIN_POSITIVE, 9007199254740993.0, 4503599627370496.5,
            f64::INFINITY, f64::NEG_INFINITY, f64::NAN,
        ];
        for &a in &specials {
            for &b in &specials {
                same_remainder(a, b);
            }
        }
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..300_000 {
            // Any bits (every exponent, subnormals, NaNs, infinities) ...
            same_remainder(f64::from_bits(rng.u64(..)), f64::from_bits(rng.u64(..)));
            // ... exponents close together, where most remainders are not trivial ...
            let a = f64::from_bits(rng.u64(..));
            let b = f64::from_bits((a.to_bits() & !(0x7ff << 52)) | (rng.u64(..) & (0x7ff << 52)));
            same_remainder(a, b);
            same_remainder(a, f64::from_bits(a.to_bits().wrapping_sub(rng.u64(..1 << 58))));
            // ... and the integers and short decimals rules use.
            same_remainder(rng.i32(..) as f64 / 100.0, rng.i32(-1000..1000) as f64 / 10.0);
        }
    }

    /// A random decimal literal in the parser's grammar: up to 25 digits, a
    /// point somewhere or nowhere, an exponent or not.
    fn random_literal(rng: &mut fastrand::Rng) -> String {
        let mut s = String::new();
        if rng.bool() {
            s.push('-');
        }
        let digits = rng.usize(1..=25);
        let point = rng.usize(0..=digits + 1);
        for i in 0..digits {
            if i == point && i > 0 {
                s.push('.');
            }
            s.push(char::from(b'0' + rng.u8(0..10)));
        }
        if rng.bool() {
            s.push(if rng.bool() { 'e' } else { 'E' });
            match rng.u8(0..3) {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            s.push_str(&rng.i32(0..40).to_string());
        }
        s
    }

    #[test]
    fn fast_path_agrees_with_core_bit_for_bit() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut fast = 0;
        for _ in 0..200_000 {
            let s = random_literal(&mut rng);
            let expected = s.parse::<f64>().ok().map(f64::to_bits);
            if let Some(n) = clinger_fast_path(s.as_bytes()) {
                fast += 1;
                assert_eq!(Some(n.to_bits()), expected, "{s}");
            }
            assert_eq!(parse_decimal(&s).map(f64::to_bits), expected, "{s}");
        }
        // The fast path must actually carry the common case, or it only adds bytes.
        assert!(fast > 50_000, "fast path taken {fast} times");
    }

    #[test]
    fn grammar_edges() {
        for (text, want) in [
            ("0", Some(0.0)),
            ("-0", Some(-0.0)),
            ("1.", Some(1.0)),
            (".5", Some(0.5)),
            ("+1e3", Some(1000.0)),
            ("19.99", Some(19.99)),
            ("9007199254740993", Some(9007199254740992.0)),
            ("1e400", Some(f64::INFINITY)),
            ("1e-400", Some(0.0)),
            ("0.1e-999999999999", Some(0.0)),
            (".", None),
            ("", None),
            ("-", None),
            ("1e", None),
            ("1e+", None),
            ("inf", None),
            ("NaN", None),
            ("1x", None),
        ] {
            assert_eq!(parse_decimal(text).map(f64::to_bits), want.map(f64::to_bits), "{text:?}");
        }
    }

    #[test]
    fn shortest_follows_number_to_string() {
        for (n, want) in [
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e-7, "1e-7"),
            (1.2345e-7, "1.2345e-7"),
            (0.000001, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"),
            (5e-324, "5e-324"),
        ] {
            let mut out = String::new();
            write_shortest(n, &mut out);
            assert_eq!(out, want);
        }
    }
}
