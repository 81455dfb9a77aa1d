//! Arbitrary-precision integers for the evaluator: a sign and a magnitude in base 10^9.

use std::cmp::Ordering;
use std::fmt;

/// One limb holds nine decimal digits.
const BASE: u64 = 1_000_000_000;

/// A signed integer of any size. The magnitude is little-endian base-10^9 limbs with no high
/// zero limbs, so zero has no limbs (and is never negative) and equality is structural.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BigInt {
    negative: bool,
    limbs: Vec<u32>,
}

impl BigInt {
    fn new(negative: bool, limbs: Vec<u32>) -> Self {
        let limbs = trimmed(limbs);
        BigInt {
            negative: negative && !limbs.is_empty(),
            limbs,
        }
    }

    pub fn from_i64(value: i64) -> Self {
        let mut rest = value.unsigned_abs();
        let mut limbs = Vec::new();
        while rest > 0 {
            limbs.push((rest % BASE) as u32);
            rest /= BASE;
        }
        BigInt::new(value < 0, limbs)
    }

    /// Parses a non-empty run of ASCII decimal digits.
    pub fn parse_digits(digits: &str) -> Self {
        let bytes = digits.as_bytes();
        let limbs = bytes
            .rchunks(9)
            .map(|chunk| {
                chunk
                    .iter()
                    .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
            })
            .collect();
        BigInt::new(false, limbs)
    }

    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    pub fn is_even(&self) -> bool {
        self.limbs.first().is_none_or(|low| low % 2 == 0)
    }

    /// The value when it fits in an i128 (any magnitude of at most four limbs does).
    pub fn to_i128(&self) -> Option<i128> {
        if self.limbs.len() > 4 {
            return None;
        }
        let magnitude = self
            .limbs
            .iter()
            .rev()
            .fold(0i128, |acc, &l| acc * BASE as i128 + i128::from(l));
        Some(if self.negative { -magnitude } else { magnitude })
    }

    pub fn negated(&self) -> Self {
        BigInt::new(!self.negative, self.limbs.clone())
    }

    pub fn abs(&self) -> Self {
        BigInt::new(false, self.limbs.clone())
    }

    pub fn add(&self, other: &BigInt) -> Self {
        if self.negative == other.negative {
            return BigInt::new(self.negative, add_mag(&self.limbs, &other.limbs));
        }
        match cmp_mag(&self.limbs, &other.limbs) {
            Ordering::Less => BigInt::new(other.negative, sub_mag(&other.limbs, &self.limbs)),
            _ => BigInt::new(self.negative, sub_mag(&self.limbs, &other.limbs)),
        }
    }

    pub fn sub(&self, other: &BigInt) -> Self {
        self.add(&other.negated())
    }

    pub fn mul(&self, other: &BigInt) -> Self {
        BigInt::new(
            self.negative != other.negative,
            mul_mag(&self.limbs, &other.limbs),
        )
    }

    /// Floored division as Smalltalk's `//` and `\\` define it: the quotient rounds toward
    /// negative infinity and the remainder takes the divisor's sign. None when dividing by zero.
    pub fn div_mod_floor(&self, divisor: &BigInt) -> Option<(BigInt, BigInt)> {
        if divisor.is_zero() {
            return None;
        }
        let (q, r) = div_mag(&self.limbs, &divisor.limbs);
        let quotient = BigInt::new(self.negative != divisor.negative, q);
        let remainder = BigInt::new(self.negative, r);
        if !remainder.is_zero() && self.negative != divisor.negative {
            Some((quotient.sub(&BigInt::from_i64(1)), remainder.add(divisor)))
        } else {
            Some((quotient, remainder))
        }
    }

    pub fn gcd(&self, other: &BigInt) -> Self {
        let (mut a, mut b) = (self.abs(), other.abs());
        while !b.is_zero() {
            let (_, r) = a.div_mod_floor(&b).expect("b is not zero");
            (a, b) = (b, r);
        }
        a
    }

    pub fn pow(&self, mut exponent: u32) -> Self {
        let (mut result, mut base) = (BigInt::from_i64(1), self.clone());
        while exponent > 0 {
            if exponent & 1 == 1 {
                result = result.mul(&base);
            }
            base = base.mul(&base);
            exponent >>= 1;
        }
        result
    }

    pub fn factorial(n: u32) -> Self {
        let limbs = (2..=n).fold(vec![1], |acc, k| mul_small(&acc, k));
        BigInt::new(false, limbs)
    }
}

impl Ord for BigInt {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => cmp_mag(&self.limbs, &other.limbs),
            (true, true) => cmp_mag(&other.limbs, &self.limbs),
        }
    }
}

impl PartialOrd for BigInt {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((top, rest)) = self.limbs.split_last() else {
            return f.write_str("0");
        };
        write!(f, "{}{top}", if self.negative { "-" } else { "" })?;
        rest.iter()
            .rev()
            .try_for_each(|limb| write!(f, "{limb:09}"))
    }
}

fn trimmed(mut limbs: Vec<u32>) -> Vec<u32> {
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    limbs
}

fn cmp_mag(a: &[u32], b: &[u32]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn add_mag(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let sum = u64::from(*a.get(i).unwrap_or(&0)) + u64::from(*b.get(i).unwrap_or(&0)) + carry;
        out.push((sum % BASE) as u32);
        carry = sum / BASE;
    }
    out.push(carry as u32);
    trimmed(out)
}

/// a - b, for magnitudes with a >= b.
fn sub_mag(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i64;
    for (i, &limb) in a.iter().enumerate() {
        let mut diff = i64::from(limb) - i64::from(*b.get(i).unwrap_or(&0)) - borrow;
        borrow = i64::from(diff < 0);
        diff += borrow * BASE as i64;
        out.push(diff as u32);
    }
    trimmed(out)
}

fn mul_mag(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = vec![0u64; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0;
        for (j, &y) in b.iter().enumerate() {
            let cell = out[i + j] + u64::from(x) * u64::from(y) + carry;
            out[i + j] = cell % BASE;
            carry = cell / BASE;
        }
        out[i + b.len()] += carry;
    }
    trimmed(out.into_iter().map(|limb| limb as u32).collect())
}

fn mul_small(a: &[u32], m: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + 1);
    let mut carry = 0;
    for &limb in a {
        let cell = u64::from(limb) * u64::from(m) + carry;
        out.push((cell % BASE) as u32);
        carry = cell / BASE;
    }
    out.push(carry as u32);
    trimmed(out)
}

/// Schoolbook long division of magnitudes (divisor not zero): each quotient limb is found by
/// binary search, which is slow in theory and plenty fast for a REPL test double.
fn div_mag(a: &[u32], b: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut quotient = vec![0; a.len()];
    let mut rest: Vec<u32> = Vec::new();
    for i in (0..a.len()).rev() {
        rest.insert(0, a[i]);
        rest = trimmed(rest);
        if cmp_mag(&rest, b) == Ordering::Less {
            continue;
        }
        let (mut lo, mut hi) = (1u32, (BASE - 1) as u32);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if cmp_mag(&mul_small(b, mid), &rest) == Ordering::Greater {
                hi = mid - 1;
            } else {
                lo = mid;
            }
        }
        rest = sub_mag(&rest, &mul_small(b, lo));
        quotient[i] = lo;
    }
    (trimmed(quotient), rest)
}
