//! The `pharo-ctl` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    pharo_ctl::main()
}
