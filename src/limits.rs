//! Resource bounds on what a package may make the verifier do.

/// Bounds on the allocations and loops that package bytes control.
///
/// Exceeding one rejects the package with [`Error::LimitExceeded`](crate::Error::LimitExceeded)
/// (kind `limit_exceeded`). Fields can be changed on a `Limits::default()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most entries (files and directories) in the archive. Default 250,000.
    pub max_entries: u64,
    /// Largest `manifest.json`, in bytes. Default 64 MiB, room for well over
    /// 100,000 files; the manifest is held in memory while verifying.
    pub max_manifest_bytes: u64,
    /// Most signature pairs. Default 16.
    pub max_signatures: usize,
    /// Largest `signatures/NAME.sig` or `signatures/NAME.pem`, in bytes. Default 256 KiB.
    pub max_signature_file_bytes: u64,
    /// Most certificates in one `signatures/NAME.pem`. Default 8.
    pub max_bundled_certificates: usize,
    /// Largest certificate in a `signatures/NAME.pem`, in bytes (DER).
    /// Default 16 KiB; code-signing certificates and their CAs are a few KiB.
    pub max_certificate_bytes: usize,
    /// Most extensions in one certificate of a `signatures/NAME.pem`.
    /// Default 64; real certificates have about a dozen.
    pub max_certificate_extensions: usize,
    /// Threads that hash payload entries of a seekable package; 0 (the default)
    /// means the machine's available parallelism, or one thread when the payload
    /// is under 8 MiB.
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 250_000,
            max_manifest_bytes: 64 << 20,
            max_signatures: 16,
            max_signature_file_bytes: 256 << 10,
            max_bundled_certificates: 8,
            max_certificate_bytes: 16 << 10,
            max_certificate_extensions: 64,
            threads: 0,
        }
    }
}
