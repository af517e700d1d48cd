//! Giving freed heap back to the system. Compiling a plugin (Cranelift)
//! allocates tens of MiB that are freed right after; glibc keeps such memory
//! in its arenas, where it counts as the agent's resident memory for as
//! long as the agent runs. `malloc_trim` returns it.
#![allow(unsafe_code)]

/// Returns free heap pages to the system (glibc only; a no-op elsewhere).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointers and only releases memory the
    // allocator already considers free; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Allocations at least this large get their own mapping, returned to the
/// system when freed (camera frames are 600 KiB each).
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Sets the allocator up for a long-running agent: a fixed mmap threshold,
/// so large short-lived buffers (frames, JPEG snapshots, packages) never
/// settle in the arenas. Without it glibc raises the threshold after the
/// first large free and keeps every later frame's memory.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` takes two integers; it is called once at start-up.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
