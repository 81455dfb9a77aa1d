//! What the evaluator's objects answer: globals, class messages, and the messages of
//! integers and strings.

use super::*;

/// The value of a global variable; undeclared names (and `self`) are nil.
pub(crate) fn global(name: &str, image: &dyn Image) -> Value {
    match name {
        "Smalltalk" => Value::Smalltalk,
        "Transcript" => Value::Transcript,
        "ShutdownSequence" if image.has_shutdown_sequence() => Value::ShutdownSequence,
        _ if KNOWN_CLASSES.split_whitespace().any(|class| class == name) => {
            Value::Class(name.into())
        }
        _ => Value::Nil,
    }
}

pub(crate) fn class_message(name: &str, selector: &str) -> Option<Value> {
    match (name, selector) {
        ("Object", "new") => Some(Value::Object),
        ("String" | "ByteString", "new") => Some(Value::Str(String::new())),
        (_, "name") => Some(Value::Str(name.into())),
        _ => None,
    }
}

pub(crate) fn integer_unary(n: &BigInt, selector: &str) -> Eval<Option<Value>> {
    Ok(Some(match selector {
        "factorial" if n.is_negative() => {
            return Err(error(
                &Value::Int(n.clone()),
                "factorial",
                "Not valid for negative integers",
            ));
        }
        "factorial" => match n.to_i128().filter(|k| *k <= MAX_FACTORIAL) {
            Some(k) => Value::Int(BigInt::factorial(k as u32)),
            None => {
                return Err(error(
                    &Value::Int(n.clone()),
                    "factorial",
                    "too large for pharo-vm-double",
                ));
            }
        },
        "negated" => Value::Int(n.negated()),
        "abs" => Value::Int(n.abs()),
        "squared" => Value::Int(n.mul(n)),
        "isZero" => Value::Bool(n.is_zero()),
        "even" => Value::Bool(n.is_even()),
        "odd" => Value::Bool(!n.is_even()),
        _ => return Ok(None),
    }))
}

pub(crate) fn integer_binary(n: &BigInt, selector: &str, arg: &Value) -> Eval<Option<Value>> {
    const SELECTORS: &[&str] = &[
        "+",
        "-",
        "*",
        "/",
        "//",
        "\\\\",
        "<",
        ">",
        "<=",
        ">=",
        "max:",
        "min:",
        "gcd:",
        "raisedTo:",
    ];
    if !SELECTORS.contains(&selector) {
        return Ok(None);
    }
    let Value::Int(m) = arg else {
        return Err(not_understood(arg, "adaptToInteger:andSend:"));
    };
    let receiver = Value::Int(n.clone());
    Ok(Some(match selector {
        "+" => Value::Int(n.add(m)),
        "-" => Value::Int(n.sub(m)),
        "*" => Value::Int(n.mul(m)),
        "/" => fraction(n, m).ok_or_else(|| zero_divide(&receiver, selector))?,
        "//" | "\\\\" => {
            let (quotient, remainder) = n
                .div_mod_floor(m)
                .ok_or_else(|| zero_divide(&receiver, selector))?;
            Value::Int(if selector == "//" {
                quotient
            } else {
                remainder
            })
        }
        "<" => Value::Bool(n < m),
        ">" => Value::Bool(n > m),
        "<=" => Value::Bool(n <= m),
        ">=" => Value::Bool(n >= m),
        "max:" => Value::Int(n.max(m).clone()),
        "min:" => Value::Int(n.min(m).clone()),
        "gcd:" => Value::Int(n.gcd(m)),
        _ => match m.to_i128().filter(|e| e.abs() <= MAX_EXPONENT) {
            Some(e) if e >= 0 => Value::Int(n.pow(e as u32)),
            Some(e) => fraction(&BigInt::from_i64(1), &n.pow(e.unsigned_abs() as u32))
                .ok_or_else(|| zero_divide(&receiver, selector))?,
            None => {
                return Err(error(
                    &receiver,
                    selector,
                    "exponent too large for pharo-vm-double",
                ));
            }
        },
    }))
}

pub(crate) fn string_message(s: &str, selector: &str, args: &[Value]) -> Eval<Option<Value>> {
    Ok(Some(match (selector, args) {
        ("size", []) => Value::Int(BigInt::from_i64(s.chars().count() as i64)),
        ("reversed", []) => Value::Str(s.chars().rev().collect()),
        ("asUppercase", []) => Value::Str(s.to_uppercase()),
        ("asLowercase", []) => Value::Str(s.to_lowercase()),
        ("asSymbol", []) => Value::Symbol(s.into()),
        ("asString", []) => Value::Str(s.into()),
        ("isEmpty", []) => Value::Bool(s.is_empty()),
        ("notEmpty", []) => Value::Bool(!s.is_empty()),
        (",", [Value::Str(t) | Value::Symbol(t)]) => Value::Str(format!("{s}{t}")),
        _ => return Ok(None),
    }))
}
