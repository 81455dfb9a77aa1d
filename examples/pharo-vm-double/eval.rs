//! A small Smalltalk evaluator: a lexer, a recursive-descent parser and an interpreter for the
//! subset of Pharo expressions the double understands, answering with Pharo's printStrings and
//! Pharo-shaped error reports (exception printString, then stack frames).

mod primitives;
mod syntax;

use crate::bignum::BigInt;
use primitives::*;
use syntax::*;

/// What `Smalltalk version` answers.
pub(crate) const PHARO_VERSION: &str = "Pharo-12.0.0+build.1";
/// Bounds that keep one request from holding the CPU for minutes or overflowing the stack.
pub(crate) const MAX_FACTORIAL: i128 = 20_000;
pub(crate) const MAX_EXPONENT: i128 = 100_000;
pub(crate) const MAX_DEPTH: usize = 200;
/// Globals that evaluate to a class (anything else unknown is an undeclared variable: nil).
pub(crate) const KNOWN_CLASSES: &str = "Object Integer SmallInteger LargePositiveInteger \
    LargeNegativeInteger Fraction String ByteString WideString Symbol Character UndefinedObject \
    Boolean True False SmalltalkImage ZnServer ZnReadEvalPrintDelegate";
/// The frames below the failing method: the REPL compiles and runs the text as a DoIt.
pub(crate) const DOIT_FRAMES: [&str; 3] = [
    "UndefinedObject>>DoIt",
    "OpalCompiler>>evaluate",
    "ZnReadEvalPrintDelegate>>evaluate:",
];
pub(crate) const BINARY_CHARS: &str = "+-*/\\<>=~,@%|&?!";

/// What the evaluator needs from the running image.
pub trait Image {
    /// Whether the startup script defined the global `ShutdownSequence`.
    fn has_shutdown_sequence(&self) -> bool;
    /// Runs `ShutdownSequence` now (`value`), or has it run in a background process (`fork`).
    /// Answers whether the image is now quitting, which only running it now can do.
    fn run_shutdown_sequence(&self, fork: bool) -> bool;
    /// Writes text to the Transcript.
    fn transcript(&self, text: &str);
    /// The printString of a global set with `Smalltalk at: #K put: V`, if set.
    fn global(&self, key: &str) -> Option<String>;
    /// Sets a global (`Smalltalk at: #K put: V`) to the value whose printString is given.
    fn set_global(&self, key: &str, print_string: String);
    /// Saves the image in place (`Smalltalk snapshot: true andQuit: …`), or says why it failed.
    fn save(&self) -> Result<(), String>;
}

/// The result of evaluating a request body.
pub enum Outcome {
    /// The text to answer: a printString (or an error report) ending with LF.
    Answer(String),
    /// The expression quits the image: nothing is ever answered.
    Quit,
}

/// Evaluates `source` as a sequence of Smalltalk statements.
pub fn evaluate(source: &str, image: &dyn Image) -> Outcome {
    let result = Parser::new(source)
        .and_then(|mut parser| parser.statements())
        .map_err(syntax_error)
        .and_then(|statements| Interpreter { image }.run(&statements));
    match result {
        Ok(value) => Outcome::Answer(format!("{}\n", value.print_string())),
        Err(Unwind::Quit) => Outcome::Quit,
        Err(Unwind::Signal(exception)) => Outcome::Answer(exception.report()),
    }
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// A Smalltalk object: the few kinds the evaluator knows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Nil,
    Bool(bool),
    Int(BigInt),
    /// A reduced fraction with a positive denominator other than 1.
    Fraction(BigInt, BigInt),
    Str(String),
    Symbol(String),
    Char(char),
    Object,
    Class(String),
    Smalltalk,
    Transcript,
    ShutdownSequence,
    Process,
}

impl Value {
    pub(crate) fn class_name(&self) -> String {
        let byte = |s: &str| s.chars().all(|c| u32::from(c) < 256);
        let name = match self {
            Value::Nil => "UndefinedObject",
            Value::Bool(true) => "True",
            Value::Bool(false) => "False",
            Value::Int(n) => match n.to_i128() {
                Some(v) if (-(1 << 60)..(1 << 60)).contains(&v) => "SmallInteger",
                _ if n.is_negative() => "LargeNegativeInteger",
                _ => "LargePositiveInteger",
            },
            Value::Fraction(..) => "Fraction",
            Value::Str(s) if byte(s) => "ByteString",
            Value::Str(_) => "WideString",
            Value::Symbol(s) if byte(s) => "ByteSymbol",
            Value::Symbol(_) => "WideSymbol",
            Value::Char(_) => "Character",
            Value::Object => "Object",
            Value::Class(name) => return format!("{name} class"),
            Value::Smalltalk => "SmalltalkImage",
            Value::Transcript => "ThreadSafeTranscript",
            Value::ShutdownSequence => "FullBlockClosure",
            Value::Process => "Process",
        };
        name.to_string()
    }

    pub(crate) fn print_string(&self) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Fraction(n, d) => format!("({n}/{d})"),
            Value::Str(s) => quoted(s),
            Value::Symbol(s) if is_plain_symbol(s) => format!("#{s}"),
            Value::Symbol(s) => format!("#{}", quoted(s)),
            Value::Char(c) => format!("${c}"),
            Value::Object => "an Object".into(),
            Value::Class(name) => name.clone(),
            Value::Smalltalk => "Smalltalk".into(),
            Value::Transcript => "a ThreadSafeTranscript".into(),
            Value::ShutdownSequence => "a FullBlockClosure".into(),
            Value::Process => "a Process in [] in UndefinedObject>>DoIt".into(),
        }
    }

    pub(crate) fn display_string(&self) -> String {
        match self {
            Value::Str(s) | Value::Symbol(s) => s.clone(),
            other => other.print_string(),
        }
    }
}

pub(crate) fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) fn is_plain_symbol(s: &str) -> bool {
    let identifier = s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| is_ident_char(&c) || c == ':');
    identifier || (!s.is_empty() && s.chars().all(|c| BINARY_CHARS.contains(c)))
}

/// The exact quotient n/d: an Integer when d divides n, else a reduced Fraction.
pub(crate) fn fraction(n: &BigInt, d: &BigInt) -> Option<Value> {
    if d.is_zero() {
        return None;
    }
    let gcd = n.gcd(d);
    let (mut num, _) = n.div_mod_floor(&gcd)?;
    let (mut den, _) = d.div_mod_floor(&gcd)?;
    if den.is_negative() {
        (num, den) = (num.negated(), den.negated());
    }
    Some(if den == BigInt::from_i64(1) {
        Value::Int(num)
    } else {
        Value::Fraction(num, den)
    })
}

// ---------------------------------------------------------------------------------------------
// Exceptions
// ---------------------------------------------------------------------------------------------

/// A signalled exception as the REPL reports it.
#[derive(Debug)]
pub(crate) struct Exception {
    pub(crate) description: String,
    pub(crate) frames: Vec<String>,
}

/// How evaluation stops early.
#[derive(Debug)]
pub(crate) enum Unwind {
    Signal(Exception),
    Quit,
}

impl Exception {
    pub(crate) fn signal(description: String, signaler: String) -> Unwind {
        let frames = std::iter::once(signaler)
            .chain(DOIT_FRAMES.map(String::from))
            .collect();
        Unwind::Signal(Exception {
            description,
            frames,
        })
    }

    pub(crate) fn report(&self) -> String {
        std::iter::once(&self.description)
            .chain(&self.frames)
            .map(|line| format!("{line}\n"))
            .collect()
    }
}

pub(crate) fn not_understood(receiver: &Value, selector: &str) -> Unwind {
    let class = receiver.class_name();
    let description = match receiver {
        Value::Nil => format!("MessageNotUnderstood: receiver of \"{selector}\" is nil"),
        _ => format!("MessageNotUnderstood: {class}>>{selector}"),
    };
    let method = if class == "Object" {
        class
    } else {
        format!("{class}(Object)")
    };
    Exception::signal(
        description,
        format!("{method}>>doesNotUnderstand: #{selector}"),
    )
}

pub(crate) fn error(receiver: &Value, selector: &str, text: &str) -> Unwind {
    Exception::signal(
        format!("Error: {text}"),
        format!("{}>>{selector}", receiver.class_name()),
    )
}

pub(crate) fn zero_divide(receiver: &Value, selector: &str) -> Unwind {
    Exception::signal(
        "ZeroDivide".into(),
        format!("{}>>{selector}", receiver.class_name()),
    )
}

pub(crate) fn syntax_error(message: String) -> Unwind {
    let frames = ["OCParser>>parseDoIt", "OpalCompiler>>parse"]
        .into_iter()
        .chain(DOIT_FRAMES[1..].iter().copied());
    Unwind::Signal(Exception {
        description: format!("SyntaxErrorNotification: {message}"),
        frames: frames.map(String::from).collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Interpreter
// ---------------------------------------------------------------------------------------------

pub(crate) type Eval<T = Value> = Result<T, Unwind>;

pub(crate) struct Interpreter<'a> {
    pub(crate) image: &'a dyn Image,
}

impl Interpreter<'_> {
    pub(crate) fn run(&self, statements: &[Expr]) -> Eval {
        let mut last = Value::Nil;
        for statement in statements {
            last = self.eval(statement)?;
        }
        Ok(last)
    }

    pub(crate) fn eval(&self, expr: &Expr) -> Eval {
        match expr {
            Expr::Literal(value) => Ok(value.clone()),
            Expr::Variable(name) => Ok(match self.image.global(name) {
                Some(text) if name.starts_with(char::is_uppercase) => self.literal(&text),
                _ => global(name, self.image),
            }),
            Expr::Send(receiver, messages) => {
                let receiver = self.eval(receiver)?;
                self.send_all(receiver, messages)
            }
            Expr::Cascade(receiver, parts) => {
                let receiver = self.eval(receiver)?;
                let mut last = Value::Nil;
                for messages in parts {
                    last = self.send_all(receiver.clone(), messages)?;
                }
                Ok(last)
            }
        }
    }

    pub(crate) fn send_all(&self, mut receiver: Value, messages: &[Message]) -> Eval {
        for message in messages {
            let args = message
                .args
                .iter()
                .map(|arg| self.eval(arg))
                .collect::<Eval<Vec<_>>>()?;
            receiver = self.send(receiver, &message.selector, &args)?;
        }
        Ok(receiver)
    }

    pub(crate) fn send(&self, receiver: Value, selector: &str, args: &[Value]) -> Eval {
        let answer = match &receiver {
            Value::Int(n) if args.len() == 1 => integer_binary(n, selector, &args[0])?,
            Value::Int(n) => integer_unary(n, selector)?,
            Value::Str(s) | Value::Symbol(s) => string_message(s, selector, args)?,
            Value::Class(name) => class_message(name, selector),
            Value::Smalltalk => self.smalltalk_message(selector, args)?,
            Value::Transcript => self.transcript_message(selector, args),
            Value::ShutdownSequence => self.shutdown_message(selector)?,
            _ => None,
        };
        match answer {
            Some(value) => Ok(value),
            None => self.object_message(receiver, selector, args),
        }
    }

    /// Messages every object understands (Object's protocol); anything else is not understood.
    pub(crate) fn object_message(&self, receiver: Value, selector: &str, args: &[Value]) -> Eval {
        Ok(match (selector, args) {
            ("printString", []) => Value::Str(receiver.print_string()),
            ("displayString" | "asString", []) => Value::Str(receiver.display_string()),
            ("isNil", []) => Value::Bool(receiver == Value::Nil),
            ("notNil", []) => Value::Bool(receiver != Value::Nil),
            ("class", []) => Value::Class(receiver.class_name()),
            ("yourself" | "value", []) => receiver,
            ("=" | "==", [other]) => Value::Bool(receiver == *other),
            ("~=" | "~~", [other]) => Value::Bool(receiver != *other),
            ("crTrace" | "traceCr", []) => {
                self.image
                    .transcript(&format!("{}\n", receiver.display_string()));
                receiver
            }
            _ => return Err(not_understood(&receiver, selector)),
        })
    }

    pub(crate) fn smalltalk_message(&self, selector: &str, args: &[Value]) -> Eval<Option<Value>> {
        Ok(Some(match (selector, args) {
            ("version", []) => Value::Str(PHARO_VERSION.into()),
            ("quit" | "quitPrimitive", []) => return Err(Unwind::Quit),
            ("snapshot:andQuit:", [Value::Bool(save), Value::Bool(quit)]) => {
                if *save && let Err(why) = self.image.save() {
                    return Err(Exception::signal(
                        format!("FileWriteError: {why}"),
                        "SmalltalkImage>>snapshot:andQuit:".into(),
                    ));
                }
                if *quit {
                    return Err(Unwind::Quit);
                }
                // The running image goes on here; one started from the file would see true.
                Value::Bool(false)
            }
            ("at:put:", [Value::Symbol(key) | Value::Str(key), value]) => {
                self.image.set_global(key, value.print_string());
                value.clone()
            }
            ("at:", [Value::Symbol(key) | Value::Str(key)]) => match self.image.global(key) {
                Some(text) => self.literal(&text),
                None => {
                    return Err(Exception::signal(
                        format!("KeyNotFound: key #{key} not found in SystemDictionary"),
                        "SystemDictionary(Dictionary)>>at:".into(),
                    ));
                }
            },
            ("includesKey:", [Value::Symbol(key) | Value::Str(key)]) => {
                Value::Bool(self.image.global(key).is_some())
            }
            _ => return Ok(None),
        }))
    }

    /// The value a stored printString stands for: a literal reads back; anything else is nil.
    pub(crate) fn literal(&self, text: &str) -> Value {
        let statements = Parser::new(text).and_then(|mut parser| parser.statements());
        match statements.as_deref() {
            Ok([Expr::Literal(value)]) => value.clone(),
            _ => Value::Nil,
        }
    }

    pub(crate) fn transcript_message(&self, selector: &str, args: &[Value]) -> Option<Value> {
        match (selector, args) {
            ("show:", [text]) => self.image.transcript(&text.display_string()),
            ("cr", []) => self.image.transcript("\n"),
            ("flush", []) => {}
            _ => return None,
        }
        Some(Value::Transcript)
    }

    pub(crate) fn shutdown_message(&self, selector: &str) -> Eval<Option<Value>> {
        Ok(match selector {
            "fork" => {
                self.image.run_shutdown_sequence(true);
                Some(Value::Process)
            }
            "value" if self.image.run_shutdown_sequence(false) => return Err(Unwind::Quit),
            "value" => Some(Value::Nil),
            _ => None,
        })
    }
}
