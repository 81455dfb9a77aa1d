//! `restart --rolling`: one instance at a time, so that behind a load balancer all images but
//! one answer at every moment; a failure ends the roll and leaves the rest untouched.

use crate::harness::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A client that keeps asking every REPL, round after round, until it is dropped; each round
/// records which instances answered.
struct Client {
    stop: Arc<AtomicBool>,
    rounds: Option<std::thread::JoinHandle<Vec<Vec<bool>>>>,
}

impl Client {
    fn start(ports: Vec<u16>) -> Client {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let rounds = std::thread::spawn(move || {
            let mut rounds = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                rounds.push(ports.iter().map(|port| repl_answers(*port)).collect());
            }
            rounds
        });
        Client {
            stop,
            rounds: Some(rounds),
        }
    }

    fn finish(mut self) -> Vec<Vec<bool>> {
        self.stop.store(true, Ordering::Relaxed);
        self.rounds.take().unwrap().join().unwrap()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_rolling_restart_keeps_all_repls_but_one_answering() {
    let env = Env::new();
    let insts: Vec<Inst> = ["a", "b", "c"].iter().map(|n| env.instance(n)).collect();
    let before: Vec<i32> = insts.iter().map(|i| env.start(i)).collect();
    let client = Client::start(insts.iter().map(|i| i.repl_port).collect());
    // A slow start makes each instance's gap long enough for the client to see it.
    let out = env
        .cmd()
        .env("PHARO_DOUBLE_START_DELAY_MS", "300")
        .args(["restart", "--rolling", "--all", "--pause", "200ms"])
        .run();
    let rounds = client.finish();
    out.success()
        .stderr_has("rolling restart: a (1 of 3)")
        .stderr_has("rolling restart: pausing 0.2s before b")
        .stderr_has("rolling restart done: a, b, c restarted one at a time");
    let at = |text: &str| out.stderr.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(at("a is running") < at("b: asking the image to shut down"));
    assert!(at("b is running") < at("c: asking the image to shut down"));

    for (inst, old) in insts.iter().zip(&before) {
        assert!(!alive(*old), "{} kept its VM", inst.name);
        assert_ne!(env.pid_of(&inst.name), *old);
        assert!(repl_answers(inst.repl_port));
    }
    assert!(rounds.len() > 10, "the client made {} rounds", rounds.len());
    for (n, round) in rounds.iter().enumerate() {
        let answering = round.iter().filter(|ok| **ok).count();
        assert!(
            answering >= insts.len() - 1,
            "round {n}: only {answering} of {} REPLs answered: {round:?}",
            insts.len()
        );
    }
    // The client did see each instance go away in its turn.
    for (i, inst) in insts.iter().enumerate() {
        assert!(
            rounds.iter().any(|round| !round[i]),
            "{} was never seen down",
            inst.name
        );
    }
}

#[test]
fn a_rolling_restart_that_fails_in_the_middle_leaves_the_rest_untouched() {
    let env = Env::new();
    let insts: Vec<Inst> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| env.instance(n))
        .collect();
    let before: Vec<i32> = insts.iter().map(|i| env.start(i)).collect();
    // b's next start dies: its application port is taken.
    let _busy = env.occupy_app_port(&insts[1]);
    let out = env
        .cmd()
        .args(["restart", "--rolling", "a", "b", "c", "d"])
        .run();
    out.code(1).stderr_has("b failed to start").stderr_has(
        "the rolling restart stopped at b (2 of 4): a restarted; c, d left as they were, untouched",
    );
    assert!(!out.stderr.contains("rolling restart: c"), "{}", out.stderr);
    // a was restarted, b is down and clean, c and d run the VMs they had.
    assert_ne!(env.pid_of("a"), before[0]);
    assert!(repl_answers(insts[0].repl_port));
    assert!(!alive(before[1]) && !env.exists("b.pid"));
    assert!(!repl_answers(insts[1].repl_port));
    for (inst, pid) in insts.iter().zip(&before).skip(2) {
        assert!(alive(*pid));
        assert_eq!(env.pid_of(&inst.name), *pid);
        assert!(repl_answers(inst.repl_port));
    }
    assert_eq!(env.vms().len(), 3);
}

#[test]
fn a_rolling_restart_refuses_what_could_not_start_before_stopping_anything() {
    let env = Env::new();
    let insts: Vec<Inst> = ["a", "b"].iter().map(|n| env.instance(n)).collect();
    let before: Vec<i32> = insts.iter().map(|i| env.start(i)).collect();
    std::fs::remove_file(env.file("b.image")).unwrap();
    let out = env.cmd().args(["restart", "--rolling", "--all"]).run();
    // Without b.image, --all means a alone; named, b is refused before a stops.
    out.success();
    let a = env.pid_of("a");
    let out = env.cmd().args(["restart", "--rolling", "a", "b"]).run();
    out.code(6).stderr_has("b");
    one_error_line(&out);
    assert_eq!(env.pid_of("a"), a);
    assert!(alive(a) && alive(before[1]));
    // --pause belongs to --rolling; --parallel does not go with it.
    env.cmd()
        .args(["restart", "--all", "--pause", "1s"])
        .run()
        .code(2);
    env.cmd()
        .args(["restart", "--rolling", "--parallel", "--all"])
        .run()
        .code(2);
}
