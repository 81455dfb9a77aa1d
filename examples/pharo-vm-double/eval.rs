//! A small Smalltalk evaluator: a lexer, a recursive-descent parser and an interpreter for the
//! subset of Pharo expressions the double understands, answering with Pharo's printStrings and
//! Pharo-shaped error reports (exception printString, then stack frames).

use crate::bignum::BigInt;

/// What `Smalltalk version` answers.
const PHARO_VERSION: &str = "Pharo-12.0.0+build.1";
/// Bounds that keep one request from holding the CPU for minutes or overflowing the stack.
const MAX_FACTORIAL: i128 = 20_000;
const MAX_EXPONENT: i128 = 100_000;
const MAX_DEPTH: usize = 200;
/// Globals that evaluate to a class (anything else unknown is an undeclared variable: nil).
const KNOWN_CLASSES: &str = "Object Integer SmallInteger LargePositiveInteger \
    LargeNegativeInteger Fraction String ByteString WideString Symbol Character UndefinedObject \
    Boolean True False SmalltalkImage ZnServer ZnReadEvalPrintDelegate";
/// The frames below the failing method: the REPL compiles and runs the text as a DoIt.
const DOIT_FRAMES: [&str; 3] = [
    "UndefinedObject>>DoIt",
    "OpalCompiler>>evaluate",
    "ZnReadEvalPrintDelegate>>evaluate:",
];
const BINARY_CHARS: &str = "+-*/\\<>=~,@%|&?!";

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
enum Value {
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
    fn class_name(&self) -> String {
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

    fn print_string(&self) -> String {
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

    fn display_string(&self) -> String {
        match self {
            Value::Str(s) | Value::Symbol(s) => s.clone(),
            other => other.print_string(),
        }
    }
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn is_plain_symbol(s: &str) -> bool {
    let identifier = s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| is_ident_char(&c) || c == ':');
    identifier || (!s.is_empty() && s.chars().all(|c| BINARY_CHARS.contains(c)))
}

/// The exact quotient n/d: an Integer when d divides n, else a reduced Fraction.
fn fraction(n: &BigInt, d: &BigInt) -> Option<Value> {
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
struct Exception {
    description: String,
    frames: Vec<String>,
}

/// How evaluation stops early.
#[derive(Debug)]
enum Unwind {
    Signal(Exception),
    Quit,
}

impl Exception {
    fn signal(description: String, signaler: String) -> Unwind {
        let frames = std::iter::once(signaler)
            .chain(DOIT_FRAMES.map(String::from))
            .collect();
        Unwind::Signal(Exception {
            description,
            frames,
        })
    }

    fn report(&self) -> String {
        std::iter::once(&self.description)
            .chain(&self.frames)
            .map(|line| format!("{line}\n"))
            .collect()
    }
}

fn not_understood(receiver: &Value, selector: &str) -> Unwind {
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

fn error(receiver: &Value, selector: &str, text: &str) -> Unwind {
    Exception::signal(
        format!("Error: {text}"),
        format!("{}>>{selector}", receiver.class_name()),
    )
}

fn zero_divide(receiver: &Value, selector: &str) -> Unwind {
    Exception::signal(
        "ZeroDivide".into(),
        format!("{}>>{selector}", receiver.class_name()),
    )
}

fn syntax_error(message: String) -> Unwind {
    let frames = ["OCParser>>parseDoIt", "OpalCompiler>>parse"]
        .into_iter()
        .chain(DOIT_FRAMES[1..].iter().copied());
    Unwind::Signal(Exception {
        description: format!("SyntaxErrorNotification: {message}"),
        frames: frames.map(String::from).collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    /// One keyword part, colon included: `at:`.
    Keyword(String),
    Binary(String),
    Int(BigInt),
    Str(String),
    Symbol(String),
    Char(char),
    LParen,
    RParen,
    Period,
    Semicolon,
    Eof,
}

/// A token and its span in characters (so the parser can see that `-` touches a number).
struct Spanned {
    token: Token,
    start: usize,
    end: usize,
}

fn is_ident_char(c: &char) -> bool {
    c.is_alphanumeric() || *c == '_'
}

fn tokenize(source: &str) -> Result<Vec<Spanned>, String> {
    let chars: Vec<char> = source.chars().collect();
    let scan = |mut pos: usize, accept: fn(&char) -> bool| {
        while chars.get(pos).is_some_and(accept) {
            pos += 1;
        }
        pos
    };
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let mut tokens = Vec::new();
    let mut pos = 0;
    loop {
        while let Some(&c) = chars.get(pos) {
            if c == '"' {
                let close = chars[pos + 1..].iter().position(|&c| c == '"');
                pos += close.ok_or("Unmatched comment quote")? + 2;
            } else if c.is_whitespace() {
                pos += 1;
            } else {
                break;
            }
        }
        let start = pos;
        let Some(&c) = chars.get(pos) else {
            tokens.push(Spanned {
                token: Token::Eof,
                start,
                end: start,
            });
            return Ok(tokens);
        };
        let next = chars.get(pos + 1).copied();
        let token = if c.is_alphabetic() || c == '_' {
            pos = scan(pos, is_ident_char);
            if chars.get(pos) == Some(&':') {
                pos += 1;
                Token::Keyword(text(start, pos))
            } else {
                Token::Ident(text(start, pos))
            }
        } else if c.is_ascii_digit() {
            pos = scan(pos, char::is_ascii_digit);
            if chars.get(pos) == Some(&'.') && chars.get(pos + 1).is_some_and(char::is_ascii_digit)
            {
                return Err("Float literals are not supported by pharo-vm-double".into());
            }
            Token::Int(BigInt::parse_digits(&text(start, pos)))
        } else if c == '\'' {
            let (string, end) = read_quoted(&chars, pos)?;
            pos = end;
            Token::Str(string)
        } else if c == '#' {
            match next {
                Some('\'') => {
                    let (string, end) = read_quoted(&chars, pos + 1)?;
                    pos = end;
                    Token::Symbol(string)
                }
                Some(d) if d.is_alphabetic() || d == '_' => {
                    pos = scan(pos + 1, |c| is_ident_char(c) || *c == ':');
                    Token::Symbol(text(start + 1, pos))
                }
                Some(d) if BINARY_CHARS.contains(d) => {
                    pos = scan(pos + 1, |c| BINARY_CHARS.contains(*c));
                    Token::Symbol(text(start + 1, pos))
                }
                _ => return Err("Literal expected".into()),
            }
        } else if c == '$' {
            pos += 2;
            Token::Char(next.ok_or("Character expected")?)
        } else if BINARY_CHARS.contains(c) {
            // A `-` after an operator starts a negative literal: `3+-4`.
            pos = scan(pos + 1, |c| BINARY_CHARS.contains(*c) && *c != '-');
            Token::Binary(text(start, pos))
        } else {
            pos += 1;
            match c {
                '(' => Token::LParen,
                ')' => Token::RParen,
                '.' => Token::Period,
                ';' => Token::Semicolon,
                ':' | '[' | ']' | '{' | '}' | '^' => {
                    return Err(format!("'{c}' is not supported by pharo-vm-double"));
                }
                _ => return Err("Unknown character".into()),
            }
        };
        tokens.push(Spanned {
            token,
            start,
            end: pos,
        });
    }
}

/// Reads a quoted literal whose opening quote is at `open`; `''` stands for one quote.
/// Answers the text and the position after the closing quote.
fn read_quoted(chars: &[char], open: usize) -> Result<(String, usize), String> {
    let mut text = String::new();
    let mut pos = open + 1;
    loop {
        match chars.get(pos) {
            None => return Err("Unmatched ' in string literal.".into()),
            Some('\'') if chars.get(pos + 1) == Some(&'\'') => {
                text.push('\'');
                pos += 2;
            }
            Some('\'') => return Ok((text, pos + 1)),
            Some(&c) => {
                text.push(c);
                pos += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Expr {
    Literal(Value),
    Variable(String),
    /// A receiver and the messages sent in turn, each to the previous answer.
    Send(Box<Expr>, Vec<Message>),
    /// A receiver evaluated once and message chains each sent to it; answers the last one.
    Cascade(Box<Expr>, Vec<Vec<Message>>),
}

#[derive(Debug)]
struct Message {
    selector: String,
    args: Vec<Expr>,
}

/// The loosest message kind an operand may contain.
#[derive(Clone, Copy, PartialEq)]
enum Precedence {
    Unary,
    Binary,
    Keyword,
}

fn send(receiver: Expr, messages: Vec<Message>) -> Expr {
    if messages.is_empty() {
        receiver
    } else {
        Expr::Send(Box::new(receiver), messages)
    }
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    /// Parentheses currently open, bounded so that hostile input cannot overflow the stack.
    depth: usize,
}

impl Parser {
    fn new(source: &str) -> Result<Self, String> {
        Ok(Parser {
            tokens: tokenize(source)?,
            pos: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.pos].token
    }

    /// Consumes and answers the current token; Eof is never consumed.
    fn advance(&mut self) -> Token {
        let token = self.tokens[self.pos].token.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn statements(&mut self) -> Result<Vec<Expr>, String> {
        let mut statements = Vec::new();
        loop {
            while *self.peek() == Token::Period {
                self.advance();
            }
            if *self.peek() == Token::Eof {
                return Ok(statements);
            }
            statements.push(self.expression()?);
            match self.peek() {
                Token::Period | Token::Eof => {}
                Token::RParen => return Err("Unmatched parenthesis".into()),
                _ => return Err("Nothing more expected".into()),
            }
        }
    }

    fn expression(&mut self) -> Result<Expr, String> {
        let receiver = self.primary()?;
        let mut messages = self.messages(Precedence::Keyword)?;
        if *self.peek() != Token::Semicolon {
            return Ok(send(receiver, messages));
        }
        let first = messages.pop().ok_or("Message expected")?;
        let mut parts = vec![vec![first]];
        while *self.peek() == Token::Semicolon {
            self.advance();
            let part = self.messages(Precedence::Keyword)?;
            if part.is_empty() {
                return Err("Message expected".into());
            }
            parts.push(part);
        }
        Ok(Expr::Cascade(Box::new(send(receiver, messages)), parts))
    }

    /// Unary messages, then binary ones, then one keyword message, as far as `level` allows.
    fn messages(&mut self, level: Precedence) -> Result<Vec<Message>, String> {
        let mut messages = Vec::new();
        while let Token::Ident(selector) = self.peek().clone() {
            self.advance();
            messages.push(Message {
                selector,
                args: Vec::new(),
            });
        }
        if level == Precedence::Unary {
            return Ok(messages);
        }
        while let Token::Binary(selector) = self.peek().clone() {
            self.advance();
            let args = vec![self.operand(Precedence::Unary)?];
            messages.push(Message { selector, args });
        }
        if level == Precedence::Binary {
            return Ok(messages);
        }
        let (mut selector, mut args) = (String::new(), Vec::new());
        while let Token::Keyword(part) = self.peek().clone() {
            self.advance();
            selector.push_str(&part);
            args.push(self.operand(Precedence::Binary)?);
        }
        if !args.is_empty() {
            messages.push(Message { selector, args });
        }
        Ok(messages)
    }

    fn operand(&mut self, level: Precedence) -> Result<Expr, String> {
        let receiver = self.primary()?;
        Ok(send(receiver, self.messages(level)?))
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let minus_end = self.tokens[self.pos].end;
        Ok(Expr::Literal(match self.advance() {
            Token::Int(n) => Value::Int(n),
            Token::Str(s) => Value::Str(s),
            Token::Symbol(s) => Value::Symbol(s),
            Token::Char(c) => Value::Char(c),
            Token::Ident(name) => match name.as_str() {
                "nil" => Value::Nil,
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Ok(Expr::Variable(name)),
            },
            Token::LParen if self.depth >= MAX_DEPTH => return Err("Too deeply nested".into()),
            Token::LParen => {
                self.depth += 1;
                let inner = self.expression()?;
                self.depth -= 1;
                if self.advance() != Token::RParen {
                    return Err("Unmatched parenthesis".into());
                }
                return Ok(inner);
            }
            Token::Binary(op) if op == "-" && self.tokens[self.pos].start == minus_end => {
                let Token::Int(n) = self.advance() else {
                    return Err("Variable or expression expected".into());
                };
                Value::Int(n.negated())
            }
            _ => return Err("Variable or expression expected".into()),
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreter
// ---------------------------------------------------------------------------------------------

type Eval<T = Value> = Result<T, Unwind>;

struct Interpreter<'a> {
    image: &'a dyn Image,
}

impl Interpreter<'_> {
    fn run(&self, statements: &[Expr]) -> Eval {
        let mut last = Value::Nil;
        for statement in statements {
            last = self.eval(statement)?;
        }
        Ok(last)
    }

    fn eval(&self, expr: &Expr) -> Eval {
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

    fn send_all(&self, mut receiver: Value, messages: &[Message]) -> Eval {
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

    fn send(&self, receiver: Value, selector: &str, args: &[Value]) -> Eval {
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
    fn object_message(&self, receiver: Value, selector: &str, args: &[Value]) -> Eval {
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

    fn smalltalk_message(&self, selector: &str, args: &[Value]) -> Eval<Option<Value>> {
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
    fn literal(&self, text: &str) -> Value {
        let statements = Parser::new(text).and_then(|mut parser| parser.statements());
        match statements.as_deref() {
            Ok([Expr::Literal(value)]) => value.clone(),
            _ => Value::Nil,
        }
    }

    fn transcript_message(&self, selector: &str, args: &[Value]) -> Option<Value> {
        match (selector, args) {
            ("show:", [text]) => self.image.transcript(&text.display_string()),
            ("cr", []) => self.image.transcript("\n"),
            ("flush", []) => {}
            _ => return None,
        }
        Some(Value::Transcript)
    }

    fn shutdown_message(&self, selector: &str) -> Eval<Option<Value>> {
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

/// The value of a global variable; undeclared names (and `self`) are nil.
fn global(name: &str, image: &dyn Image) -> Value {
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

fn class_message(name: &str, selector: &str) -> Option<Value> {
    match (name, selector) {
        ("Object", "new") => Some(Value::Object),
        ("String" | "ByteString", "new") => Some(Value::Str(String::new())),
        (_, "name") => Some(Value::Str(name.into())),
        _ => None,
    }
}

fn integer_unary(n: &BigInt, selector: &str) -> Eval<Option<Value>> {
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

fn integer_binary(n: &BigInt, selector: &str, arg: &Value) -> Eval<Option<Value>> {
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

fn string_message(s: &str, selector: &str, args: &[Value]) -> Eval<Option<Value>> {
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
