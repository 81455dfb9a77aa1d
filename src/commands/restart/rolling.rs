//! `pharo-ctl restart --rolling`: one instance at a time — a cooperative stop, a start that
//! counts only once the REPL answers (`--wait`), `--pause`, then the next — so that behind a
//! load balancer the service never loses all its images at once. A failure ends the roll at
//! once: the instances after it stay as they were, running and untouched (exit 1).

use super::check_startable;
use crate::commands::fleet;
use crate::context::Context;
use crate::duration::human;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::output;
use crate::start::Readiness;
use anyhow::Result;
use std::time::Duration;

pub fn run(
    ctx: &Context,
    instances: &[Instance],
    args: &Readiness,
    pause: Duration,
) -> Result<Code> {
    // What would make a start fail is found before the first instance stops.
    for instance in instances {
        check_startable(ctx, instance).map_err(|e| e.context("nothing was restarted"))?;
    }
    let ready = Readiness {
        wait: true,
        ..*args
    };
    let count = instances.len();
    for (n, instance) in instances.iter().enumerate() {
        let name = &instance.name;
        if n > 0 && !pause.is_zero() {
            output::step(format!(
                "rolling restart: pausing {} before {name}",
                human(pause)
            ));
            std::thread::sleep(pause);
        }
        output::step(format!("rolling restart: {name} ({} of {count})", n + 1));
        let result = super::super::stop_one(ctx, instance)
            .and_then(|()| super::super::start_one(ctx, instance, &ready));
        if fleet::settle(instance, result) != Code::Success {
            output::error(format!(
                "the rolling restart stopped at {name} ({} of {count}): {}",
                n + 1,
                progress(&instances[..n], &instances[n + 1..])
            ));
            return Ok(Code::Failure);
        }
    }
    output::step(format!(
        "rolling restart done: {} restarted one at a time",
        names(instances)
    ));
    Ok(Code::Success)
}

/// What the roll did before it stopped, and what it did not touch.
fn progress(done: &[Instance], rest: &[Instance]) -> String {
    let done = match done {
        [] => "none restarted".to_string(),
        done => format!("{} restarted", names(done)),
    };
    match rest {
        [] => done,
        rest => format!("{done}; {} left as they were, untouched", names(rest)),
    }
}

fn names(instances: &[Instance]) -> String {
    instances
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
