//! The documentation pharo-ctl generates from its own command line: the completion scripts
//! of six shells ([`completion`]) and the man pages ([`manual`]), checked in under
//! `completions/` and `man/` by `pharo-ctl generate-docs` (a test fails when they are stale).

pub(crate) mod completion;
pub(crate) mod manual;
