//! Integration tests: the real pharo-ctl binary against real processes (the VM test double),
//! real HTTP on loopback and real signals.

mod harness;

mod architecture;
mod completions;
mod console;
mod credentials;
mod doc_pages;
mod docker;
mod docs;
mod dump;
mod eval;
mod hung;
mod identity;
mod init;
mod inputs;
mod lifecycle;
mod logs;
mod many;
mod pidfiles;
mod privilege;
mod ps;
mod readiness;
mod repl_identity;
mod resolution;
mod rolling;
mod run;
mod setup;
mod snapshot;
mod status;
mod systemd_container;
mod terminal;
mod tree;
mod unit;
