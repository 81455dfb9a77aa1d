//! Where a Smalltalk expression typed or read line by line ends: it goes on while a block
//! `[ ]`, a parenthesis `( )` or a brace array `{ }` is open, or a string `'…'` (a quote is
//! written `''` inside one) or a comment `"…"` is. Character literals (`$'`, `$[`) open
//! nothing. A closer that matches no opener ends nothing either: the image reports the
//! syntax error.

/// What is still open at the end of `text`, innermost: `[`, `(`, `{`, `'` (a string or a
/// quoted symbol) or `"` (a comment); `None` when the expression is whole.
pub fn open_at_end(text: &str) -> Option<char> {
    let mut open: Vec<char> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => {
                chars.next();
            }
            '\'' => loop {
                match chars.next() {
                    None => return Some('\''),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') => break,
                    Some(_) => {}
                }
            },
            // The guard reads the comment through its end.
            '"' if !chars.by_ref().any(|c| c == '"') => return Some('"'),
            '[' | '(' | '{' => open.push(c),
            ']' | ')' | '}' => {
                let opener = match c {
                    ']' => '[',
                    ')' => '(',
                    _ => '{',
                };
                if open.last() == Some(&opener) {
                    open.pop();
                } else {
                    return None;
                }
            }
            _ => {}
        }
    }
    open.last().copied()
}

/// Whether `text` is a whole expression (see [`open_at_end`]).
pub fn is_complete(text: &str) -> bool {
    open_at_end(text).is_none()
}

/// Whole expressions out of input read line by line: lines are joined while something is
/// open at their end; blank lines between expressions are dropped.
#[derive(Debug, Default)]
pub struct Lines {
    pending: String,
}

impl Lines {
    /// Takes the next line (with its newline, if any); answers the expression it completes.
    pub fn push(&mut self, line: &str) -> Option<String> {
        if self.pending.is_empty() && line.trim().is_empty() {
            return None;
        }
        self.pending.push_str(line);
        is_complete(&self.pending).then(|| take(&mut self.pending))
    }

    /// At the end of the input: what is still open, as it stands, is the last expression.
    pub fn finish(mut self) -> Option<String> {
        (!self.pending.trim().is_empty()).then(|| take(&mut self.pending))
    }
}

fn take(pending: &mut String) -> String {
    std::mem::take(pending)
        .trim_end_matches(['\n', '\r'])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_parentheses_and_braces_keep_it_open() {
        assert_eq!(open_at_end("3 + 4"), None);
        assert_eq!(open_at_end("[ :x | x + 1"), Some('['));
        assert_eq!(open_at_end("(3 +"), Some('('));
        assert_eq!(open_at_end("{ 1. 2"), Some('{'));
        assert_eq!(open_at_end("#(1 2 [ 3"), Some('['));
        assert_eq!(open_at_end("[ :x | (x + 1) ] value: 3"), None);
        assert_eq!(open_at_end("#[1 2 3] size"), None);
        assert_eq!(open_at_end("[ { ( ) } ]"), None);
    }

    #[test]
    fn strings_and_comments_keep_it_open() {
        assert_eq!(open_at_end("'it''s"), Some('\''));
        assert_eq!(open_at_end("'it''s'"), None);
        assert_eq!(open_at_end("'a [ b'"), None);
        assert_eq!(open_at_end("#'a symbol"), Some('\''));
        assert_eq!(open_at_end("3 \"a comment"), Some('"'));
        assert_eq!(open_at_end("3 \"a comment with ' and [\" + 4"), None);
        assert_eq!(open_at_end("'a \" in a string' size"), None);
        assert_eq!(open_at_end("[ 'a ] in a string"), Some('\''));
        assert_eq!(open_at_end("''"), None);
        assert_eq!(open_at_end("''''"), None);
        assert_eq!(open_at_end("'''"), Some('\''));
    }

    #[test]
    fn character_literals_open_nothing() {
        assert_eq!(open_at_end("$' asString"), None);
        assert_eq!(open_at_end("$\" isVowel"), None);
        assert_eq!(open_at_end("$[ value"), None);
        assert_eq!(open_at_end("[ $] ]"), None);
        assert_eq!(open_at_end("$"), None);
    }

    #[test]
    fn a_closer_without_its_opener_ends_the_expression() {
        assert_eq!(open_at_end("3 ]"), None);
        assert_eq!(open_at_end("[ 3 )"), None);
        assert!(is_complete("(3 + 4))"));
    }

    fn split(script: &str) -> Vec<String> {
        let mut lines = Lines::default();
        let mut expressions: Vec<String> = script
            .split_inclusive('\n')
            .filter_map(|line| lines.push(line))
            .collect();
        expressions.extend(lines.finish());
        expressions
    }

    #[test]
    fn a_script_splits_into_whole_expressions() {
        let script =
            "3 + 4\n\n[ :x |\n  x + 1 ] value: 2\n'two\n\nlines' size\n\"a\ncomment\" 42\n(1 +";
        assert_eq!(
            split(script),
            vec![
                "3 + 4",
                "[ :x |\n  x + 1 ] value: 2",
                "'two\n\nlines' size",
                "\"a\ncomment\" 42",
                "(1 +",
            ]
        );
        assert!(split("\n \n").is_empty());
        assert_eq!(split("1\r\n2\r\n"), vec!["1", "2"]);
    }
}
