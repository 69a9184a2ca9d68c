//! What the page's JavaScript does for the module: `Number(text)` and `String(n)`.
//! Rust's float parsing and printing would add ~20 KB to the page, and the host's are
//! JavaScript's by definition. Natively (tests, the differential harness) the `js`
//! crate's implementations of the same ECMAScript algorithms stand in.

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod imports {
    #[link(wasm_import_module = "ia")]
    extern "C" {
        /// `Number(text)` of the ASCII text at `ptr`.
        pub fn num(ptr: *const u8, len: usize) -> f64;
        /// Writes `String(n)` (ASCII, at most 32 bytes) at `ptr`; returns its length.
        pub fn fmt(n: f64, ptr: *mut u8) -> usize;
    }
}

/// `Number(token)` for a JSON number token.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
pub fn number(token: &[u8]) -> f64 {
    // SAFETY: the host reads `len` bytes at `ptr`, which the slice owns.
    unsafe { imports::num(token.as_ptr(), token.len()) }
}

/// `String(n)`, appended to `out`.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
pub fn format(n: f64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 32];
    // SAFETY: the host writes at most 32 bytes at `ptr`, which `buf` owns.
    let len = unsafe { imports::fmt(n, buf.as_mut_ptr()) };
    out.extend_from_slice(&buf[..len.min(32)]);
}

#[cfg(not(target_arch = "wasm32"))]
pub fn number(token: &[u8]) -> f64 {
    js::string_to_number(&String::from_utf8_lossy(token))
}

#[cfg(not(target_arch = "wasm32"))]
pub fn format(n: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(js::number_to_string(n).as_bytes());
}
