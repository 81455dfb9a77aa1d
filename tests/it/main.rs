//! Integration tests: the real pharo-ctl binary against real processes (the VM test double),
//! real HTTP on loopback and real signals.

mod harness;

mod completions;
mod console;
mod docs;
mod eval;
mod identity;
mod inputs;
mod lifecycle;
mod logs;
mod privilege;
mod ps;
mod run;
mod status;
mod terminal;
mod unit;
