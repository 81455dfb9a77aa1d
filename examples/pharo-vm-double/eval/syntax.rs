//! The evaluator's syntax: Smalltalk's tokens and the parse of an expression's statements
//! into message sends, by precedence (unary, binary, keyword) and cascades.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token {
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
pub(crate) struct Spanned {
    pub(crate) token: Token,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

pub(crate) fn is_ident_char(c: &char) -> bool {
    c.is_alphanumeric() || *c == '_'
}

pub(crate) fn tokenize(source: &str) -> Result<Vec<Spanned>, String> {
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
pub(crate) fn read_quoted(chars: &[char], open: usize) -> Result<(String, usize), String> {
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
pub(crate) enum Expr {
    Literal(Value),
    Variable(String),
    /// A receiver and the messages sent in turn, each to the previous answer.
    Send(Box<Expr>, Vec<Message>),
    /// A receiver evaluated once and message chains each sent to it; answers the last one.
    Cascade(Box<Expr>, Vec<Vec<Message>>),
}

#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) selector: String,
    pub(crate) args: Vec<Expr>,
}

/// The loosest message kind an operand may contain.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Precedence {
    Unary,
    Binary,
    Keyword,
}

pub(crate) fn send(receiver: Expr, messages: Vec<Message>) -> Expr {
    if messages.is_empty() {
        receiver
    } else {
        Expr::Send(Box::new(receiver), messages)
    }
}

pub(crate) struct Parser {
    pub(crate) tokens: Vec<Spanned>,
    pub(crate) pos: usize,
    /// Parentheses currently open, bounded so that hostile input cannot overflow the stack.
    pub(crate) depth: usize,
}

impl Parser {
    pub(crate) fn new(source: &str) -> Result<Self, String> {
        Ok(Parser {
            tokens: tokenize(source)?,
            pos: 0,
            depth: 0,
        })
    }

    pub(crate) fn peek(&self) -> &Token {
        &self.tokens[self.pos].token
    }

    /// Consumes and answers the current token; Eof is never consumed.
    pub(crate) fn advance(&mut self) -> Token {
        let token = self.tokens[self.pos].token.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    pub(crate) fn statements(&mut self) -> Result<Vec<Expr>, String> {
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

    pub(crate) fn expression(&mut self) -> Result<Expr, String> {
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
    pub(crate) fn messages(&mut self, level: Precedence) -> Result<Vec<Message>, String> {
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

    pub(crate) fn operand(&mut self, level: Precedence) -> Result<Expr, String> {
        let receiver = self.primary()?;
        Ok(send(receiver, self.messages(level)?))
    }

    pub(crate) fn primary(&mut self) -> Result<Expr, String> {
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
