//! The quantized engine LibTorch runs int8 modules with. It must be chosen before a module
//! loads: loading packs the int8 weights for the engine current at that moment.
//!
//! X86 first, LibTorch's default on x86 since PyTorch 2.0 and the engine the int8 export is
//! calibrated and checked with (model/): per operator it picks FBGEMM or oneDNN. FBGEMM alone
//! runs the exported int8 camera network ~1.4x slower here (its 3-channel stem convolution
//! 0.32 ms against oneDNN's 0.10 ms). tch cannot name X86, so src/qengine.cpp sets it.

use std::ffi::{c_char, c_int, CStr};

extern "C" {
    fn edgefusion_set_x86_qengine(error: *mut c_char, error_len: usize) -> c_int;
}

/// The engine that was selected, for the load log: X86, else FBGEMM (x86 builds without X86),
/// else QNNPACK (ARM), else none. Only int8 modules need one; without, they fail their warm-up
/// with LibTorch's message.
pub fn select() -> &'static str {
    let x86 = match set_x86() {
        Ok(()) => return "x86",
        Err(e) => e,
    };
    for (engine, name) in [(tch::QEngine::FBGEMM, "fbgemm"), (tch::QEngine::QNNPACK, "qnnpack")] {
        if engine.set().is_ok() {
            tracing::debug!("the X86 quantized engine is unavailable ({x86}); using {name}");
            return name;
        }
    }
    tracing::debug!("no quantized engine available (X86: {x86})");
    "none"
}

fn set_x86() -> Result<(), String> {
    let mut error = [0 as c_char; 512];
    // SAFETY: the buffer outlives the call and its length is passed; the C++ side catches
    // every exception and always NUL-terminates what it writes.
    let failed = unsafe { edgefusion_set_x86_qengine(error.as_mut_ptr(), error.len()) } != 0;
    if failed {
        // SAFETY: NUL-terminated by the C++ side (or all zeros).
        let message = unsafe { CStr::from_ptr(error.as_ptr()) };
        return Err(message.to_string_lossy().lines().next().unwrap_or("").to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn x86_builds_select_the_x86_engine() {
        assert_eq!(super::select(), "x86");
        assert_eq!(super::select(), "x86", "selecting again is harmless");
    }
}
