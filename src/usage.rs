//! What processes use: start time, resident memory and CPU time, read for many processes in
//! one pass (`ps`, `status`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Start time, resident memory in bytes and CPU time of each of `pids`, in their order;
/// `None` for a process that is gone.
pub fn of(pids: &[i32]) -> Vec<Option<(SystemTime, u64, Duration)>> {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let Ok(mut system) = System::new() else {
        return vec![None; pids.len()];
    };
    let wanted: Vec<Pid> = pids.iter().map(|p| Pid::from_u32(*p as u32)).collect();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&wanted),
        false,
        ProcessRefreshKind::nothing().with_memory().with_cpu(),
    );
    wanted
        .iter()
        .map(|key| {
            let p = system.process(*key)?;
            Some((
                UNIX_EPOCH + Duration::from_secs(p.start_time()),
                p.memory(),
                Duration::from_millis(p.accumulated_cpu_time()),
            ))
        })
        .collect()
}
