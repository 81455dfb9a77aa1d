//! `pharo-ctl eval` against the double's REPL.

use crate::harness::*;

#[test]
fn evaluates_and_prints_the_answer_exactly() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    env.cmd()
        .args(["eval", "42 factorial"])
        .run()
        .success()
        .stdout_is("1405006117752879898543142606244511569936384000000000\n");
}

#[test]
fn an_evaluation_error_exits_1_and_prints_the_stack() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let out = env.cmd().args(["eval", "3 plus: 4"]).run();
    out.code(1)
        .stdout_has("MessageNotUnderstood: SmallInteger>>plus:\n")
        .stdout_has(">>");
    // --raw turns the recognition off.
    env.cmd()
        .args(["eval", "--raw", "3 plus: 4"])
        .run()
        .success()
        .stdout_has("MessageNotUnderstood");
}

#[test]
fn reads_the_expression_from_stdin_in_utf8() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    env.cmd()
        .args(["eval"])
        .stdin("'héllo wörld' reversed\n")
        .run()
        .success()
        .stdout_is("'dlröw olléh'\n");
    env.cmd()
        .args(["eval", "-"])
        .stdin("3 + 4")
        .run()
        .success()
        .stdout_is("7\n");
}

#[test]
fn an_unreachable_repl_exits_7() {
    let env = Env::new();
    let port = free_port();
    env.cmd()
        .args([
            "eval",
            "--repl",
            &format!("http://127.0.0.1:{port}/repl"),
            "3 + 4",
        ])
        .run()
        .code(7)
        .stderr_has("cannot reach the REPL");
}

#[test]
fn a_remote_repl_is_refused_before_connecting() {
    let env = Env::new();
    // 192.0.2.0/24 is reserved for documentation: nothing may be sent there, and nothing is,
    // because the refusal comes before any connection.
    for url in ["http://192.0.2.1:42033/repl", "http://example.com/repl"] {
        let out = env.cmd().args(["eval", "--repl", url, "3 + 4"]).run();
        out.code(2).stderr_has("not loopback");
    }
    let out = env
        .cmd()
        .env("PHARO_REPL", "http://192.0.2.1:42033/repl")
        .args(["eval", "3 + 4"])
        .run();
    out.code(2).stderr_has("--allow-remote");
}

#[test]
fn an_empty_expression_is_a_usage_error() {
    let env = Env::new();
    env.cmd()
        .args(["eval"])
        .stdin("  \n")
        .run()
        .code(2)
        .stderr_has("nothing to evaluate");
}

#[test]
fn a_request_timeout_is_reported_as_such() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    // Restart the image with a REPL that never answers.
    env.cmd().args(["stop", "zinc"]).run().success();
    env.cmd()
        .env("PHARO_DOUBLE_HANG", "1")
        .args(["start", "zinc"])
        .run()
        .success();
    wait_until(
        "the REPL to listen",
        std::time::Duration::from_secs(10),
        || listening(inst.repl_port),
    );
    env.cmd()
        .args(["eval", "--timeout", "300ms", "3 + 4"])
        .run()
        .code(1)
        .stderr_has("timed out");
}

#[test]
fn an_expression_that_quits_the_image_is_reported() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    env.cmd()
        .args(["eval", "Smalltalk quitPrimitive"])
        .run()
        .code(1)
        .stderr_has("closed the connection without answering");
    wait_until(
        "the image to quit",
        std::time::Duration::from_secs(10),
        || !alive(pid),
    );
}

#[test]
fn a_non_repl_url_is_reported() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    env.cmd()
        .args([
            "eval",
            "--repl",
            &format!("http://127.0.0.1:{}/nothing", inst.repl_port),
            "3 + 4",
        ])
        .run()
        .code(1)
        .stderr_has("HTTP 404");
}
