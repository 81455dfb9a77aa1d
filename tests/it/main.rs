//! Integration tests: the real pharo-ctl binary against real processes (the VM test double),
//! real HTTP on loopback and real signals.

mod harness;

mod completions;
mod docs;
mod eval;
mod identity;
mod inputs;
mod lifecycle;
mod many;
mod privilege;
mod ps;
mod rolling;
mod run;
mod status;
mod terminal;
mod unit;
