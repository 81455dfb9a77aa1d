//! The `pharo-ctl` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    // SAFETY: this is the first thing the program does, before any thread is started, so
    // nothing can read the environment while it changes.
    unsafe { pharo_ctl::cli::unset_empty_env() };
    pharo_ctl::main()
}
