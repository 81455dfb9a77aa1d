//! The exit codes of every command, in one place (DESIGN.md, "Exit codes").

/// An exit status of `pharo-ctl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 0: success (for `status`: running).
    Success,
    /// 1: failure: start failed, could not stop, evaluation error, stale pid file on status.
    Failure,
    /// 2: usage error.
    Usage,
    /// 3: not running (status, pid).
    NotRunning,
    /// 4: insufficient privilege, or status unknown.
    Unknown,
    /// 5: VM not found or not executable.
    VmNotFound,
    /// 6: not configured: image or script missing.
    NotConfigured,
    /// 7: REPL unreachable.
    ReplUnreachable,
    /// 8: `run --watchdog` stopped the VM because its REPL stopped answering (hung).
    Hung,
    /// A VM's own exit status passed through by `run` (128+N for a signal).
    Raw(u8),
}

impl Code {
    /// The numeric status handed to the operating system.
    pub fn value(self) -> u8 {
        match self {
            Code::Success => 0,
            Code::Failure => 1,
            Code::Usage => 2,
            Code::NotRunning => 3,
            Code::Unknown => 4,
            Code::VmNotFound => 5,
            Code::NotConfigured => 6,
            Code::ReplUnreachable => 7,
            Code::Hung => 8,
            Code::Raw(n) => n,
        }
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        std::process::ExitCode::from(code.value())
    }
}
