//! The startup script, as pharo-ctl reads and writes it: the user name of the REPL's
//! authenticator, read from a script (the instance reads its port); and
//! the lines `init` writes, which start the REPL on loopback with
//! credentials whose password the image reads at start-up from `NAME.repl-secret`.

/// The user name of the REPL's `ZnBasicAuthenticator username: 'NAME'`, if the script gives
/// it one.
pub fn repl_user_in(text: &str) -> Option<String> {
    const USER: &str = "ZnBasicAuthenticator username: '";
    let code = code_of(text);
    let rest = &code[code.find(USER)? + USER.len()..];
    Some(rest[..rest.find('\'')?].to_string())
}

/// The code of a script: comments out, each run of whitespace made one space.
fn code_of(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let (mut in_string, mut in_comment) = (false, false);
    for c in text.chars() {
        if in_comment {
            in_comment = c != '"';
            continue;
        }
        in_comment = c == '"' && !in_string;
        in_string ^= c == '\'';
        if c.is_whitespace() || in_comment {
            if !code.ends_with(' ') {
                code.push(' ');
            }
        } else {
            code.push(c);
        }
    }
    code
}

/// The statement that starts the REPL on loopback `port`, asking for the credentials of `user`
/// and the secret the image reads at start-up from `secret_file` (a file name beside the
/// image): Zinc's `startInServerOn:` expanded, with an authenticator.
pub fn repl_statement(port: u16, user: &str, secret_file: &str) -> String {
    format!(
        "(ZnServer on: {port})
  bindingAddress: NetNameResolver loopBackAddress;
  delegate: ZnReadEvalPrintDelegate new;
  authenticator: (ZnBasicAuthenticator
    username: '{user}'
    password: (Smalltalk imageDirectory / '{secret_file}') contents trimBoth);
  start.
"
    )
}

/// The `ShutdownSequence` that `stop` asks the image to run.
pub const SHUTDOWN_SEQUENCE: &str = "Smalltalk at: #ShutdownSequence put: [
  'Starting ShutdownSequence...' crTrace.
  ZnServer default ifNotNil: [ :server |
    server stopServer.
    server hasOpenConnections ifTrue: [ 3 seconds wait ].
    server closeConnections ].
  'Completed ShutdownSequence successfully' crTrace.
  Smalltalk snapshot: false andQuit: true ].
";

/// The whole startup script of a new instance `name`.
pub fn new_script(name: &str, port: u16, user: &str, secret_file: &str) -> String {
    format!(
        "\"{name}: the REPL listens on loopback only and asks for HTTP Basic credentials, whose
 password the image reads at start-up from {secret_file} beside it (pharo-ctl sends it).
 Start the application's own servers below.\"

{}
{SHUTDOWN_SEQUENCE}",
        repl_statement(port, user, secret_file)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_user_of_what_init_writes() {
        let script = new_script("zinc", 42051, "pharo-ctl", "zinc.repl-secret");
        assert_eq!(repl_user_in(&script).as_deref(), Some("pharo-ctl"));
        assert_eq!(
            repl_user_in("\"ZnBasicAuthenticator username: 'x'\" 1."),
            None
        );
    }
}
