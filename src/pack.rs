//! Writing signed format-1 packages: what a vendor's release pipeline runs.
//!
//! The writer lays entries out the way the verifier reads them: `manifest.json`
//! first, then the signature pairs, then the payload, each payload file with
//! its unix mode. Files given by path are read twice (once to hash for the
//! manifest, once to copy), because the manifest must precede them.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::PathBuf;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::{BuildError, Error};
use crate::limits::Limits;
use crate::manifest::{FileEntry, Manifest, PackageInfo};
use crate::signature::SigningKey;
use crate::verify::LayoutBuilder;
use crate::zip::header::check_path;
use crate::zip::rules::names_of;

/// How payload entries are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// Deflate (method 8).
    #[default]
    Deflated,
    /// No compression (method 0).
    Stored,
}

enum Content {
    Bytes(Vec<u8>),
    Disk(PathBuf),
}

struct Payload {
    path: String,
    content: Content,
    mode: u32,
    manifest_mode: bool,
}

struct Signer {
    name: String,
    key: SigningKey,
    chain_pem: Vec<u8>,
}

/// Builds a signed package.
///
/// ```no_run
/// # fn main() -> Result<(), pkgverify::BuildError> {
/// use pkgverify::{PackageBuilder, SigningKey};
/// let key = SigningKey::from_pkcs8_pem(&std::fs::read("signer.key").unwrap())?;
/// let chain = std::fs::read("signer-chain.pem").unwrap();
/// let out = std::fs::File::create("package.zip").unwrap();
/// PackageBuilder::new("dten-firmware", "4.2.0")
///     .file("bin/tool", b"\x7fELF...".to_vec(), 0o755)
///     .signer("vendor", key, chain)
///     .write(out)?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct PackageBuilder {
    package: PackageInfo,
    metadata: Map<String, Value>,
    files: Vec<Payload>,
    directories: Vec<String>,
    signers: Vec<Signer>,
    compression: Compression,
    limits: Limits,
    timestamper: Option<Timestamper>,
}

/// Makes a timestamp token for a signature's bytes (see
/// [`PackageBuilder::timestamper`]).
type Timestamper = Box<dyn Fn(&str, &[u8]) -> Result<Vec<u8>, String>>;

impl PackageBuilder {
    /// Starts a package with its name and version.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            package: PackageInfo {
                name: name.into(),
                version: version.into(),
                created: None,
            },
            metadata: Map::new(),
            files: Vec::new(),
            directories: Vec::new(),
            signers: Vec::new(),
            compression: Compression::default(),
            limits: Limits::default(),
            timestamper: None,
        }
    }

    /// Sets `package.created` (RFC 3339; not checked here, the verifier checks it).
    pub fn created(mut self, rfc3339: &str) -> Self {
        self.package.created = Some(rfc3339.into());
        self
    }

    /// Adds a top-level metadata key (`requires`, `reboot`, ...).
    pub fn metadata(mut self, key: &str, value: Value) -> Self {
        self.metadata.insert(key.into(), value);
        self
    }

    /// Adds every key of a JSON object as metadata (e.g. a release pipeline's
    /// `metadata.json`), refusing duplicate keys and the reserved keys
    /// `format`, `package` and `files`.
    ///
    /// # Errors
    /// [`BuildError::Metadata`] naming the problem.
    pub fn metadata_json(mut self, json: &[u8]) -> Result<Self, BuildError> {
        let Value::Object(map) = crate::manifest::parse_json(json).map_err(BuildError::Metadata)?
        else {
            return Err(BuildError::Metadata("not a JSON object".into()));
        };
        for (key, value) in map {
            if crate::manifest::is_reserved_key(&key) {
                return Err(BuildError::Metadata(format!(
                    "key \"{key}\" is reserved: the builder writes format, package and files itself"
                )));
            }
            self.metadata.insert(key, value);
        }
        Ok(self)
    }

    /// Adds a payload file from memory with unix mode `mode`, recorded in the manifest.
    pub fn file(mut self, path: &str, contents: Vec<u8>, mode: u32) -> Self {
        self.files.push(Payload {
            path: path.into(),
            content: Content::Bytes(contents),
            mode,
            manifest_mode: true,
        });
        self
    }

    /// Adds a payload file read from `source` when the package is written.
    pub fn file_from_disk(mut self, path: &str, source: PathBuf, mode: u32) -> Self {
        self.files.push(Payload {
            path: path.into(),
            content: Content::Disk(source),
            mode,
            manifest_mode: true,
        });
        self
    }

    /// Leaves `mode` out of the manifest for the last file added (the archive still records it).
    pub fn without_manifest_mode(mut self) -> Self {
        if let Some(last) = self.files.last_mut() {
            last.manifest_mode = false;
        }
        self
    }

    /// Adds a directory entry (`path` ends in `/`) after the signatures.
    pub fn directory(mut self, path: &str) -> Self {
        self.directories.push(path.into());
        self
    }

    /// Chooses how payload entries are compressed (default: deflate).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Timestamps every signature: `stamp(name, signature)` gets each
    /// signature's exact bytes (`signatures/NAME.sig`) and returns a DER RFC
    /// 3161 TimeStampToken over them (from a TSA, by whatever means the
    /// caller has: the library makes no network request), written as
    /// `signatures/NAME.tst`. An `Err` fails the build with its message.
    pub fn timestamper(
        mut self,
        stamp: impl Fn(&str, &[u8]) -> Result<Vec<u8>, String> + 'static,
    ) -> Self {
        self.timestamper = Some(Box::new(stamp));
        self
    }

    /// The limits of the verifiers that will read the package (default
    /// [`Limits::default`]): a package over them is refused, as they would.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a signature `signatures/NAME.sig` made with `key`, and
    /// `signatures/NAME.pem` holding `chain_pem` (signer certificate first).
    pub fn signer(mut self, name: &str, key: SigningKey, chain_pem: Vec<u8>) -> Self {
        self.signers.push(Signer {
            name: name.into(),
            key,
            chain_pem,
        });
        self
    }

    /// The manifest this package will carry (hashes every file), checked by
    /// the verifier's own manifest rules.
    ///
    /// # Errors
    /// [`BuildError::Read`] if a file given by path cannot be read;
    /// [`BuildError::WouldReject`] with the verifier's error if the verifier
    /// would refuse the package for its manifest, names, layout or modes.
    pub fn manifest(&self) -> Result<Manifest, BuildError> {
        // Names, layout and modes first: before any file is read. (The
        // signatures may still be added: they are required when writing.)
        self.check_entries(false)?;
        let mut entries = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let (size, sha256) = match &f.content {
                Content::Bytes(b) => (b.len() as u64, Sha256::digest(b).into()),
                Content::Disk(p) => hash_file(p).map_err(|source| BuildError::Read {
                    path: p.display().to_string(),
                    source,
                })?,
            };
            entries.push(FileEntry {
                path: f.path.clone(),
                size,
                sha256,
                mode: f.manifest_mode.then_some(f.mode),
            });
        }
        let manifest = Manifest::new(self.package.clone(), entries, self.metadata.clone());
        check_manifest(&manifest, &self.limits)?;
        Ok(manifest)
    }

    /// The verifier's own rules on the entries this builder will write, so
    /// that it never writes a package the verifier refuses for them: the
    /// manifest's rules on the listed paths and modes (checked on a manifest
    /// with the files not yet hashed); every entry name safe, unique beyond
    /// case and Unicode form, and never both a file and a directory; the
    /// layout (signature names and pairs); the modes the archive records;
    /// the limits on counts and sizes; when `signed`, at least one complete
    /// signature pair.
    fn check_entries(&self, signed: bool) -> Result<(), BuildError> {
        let reject = BuildError::WouldReject;
        let unhashed = self
            .files
            .iter()
            .map(|f| FileEntry {
                path: f.path.clone(),
                size: 0,
                sha256: [0; 32],
                mode: f.manifest_mode.then_some(f.mode),
            })
            .collect();
        let unhashed = Manifest::new(self.package.clone(), unhashed, self.metadata.clone());
        Manifest::parse(&unhashed.to_json()).map_err(reject)?;
        let limits = self.limits;
        let too_big = |entry: &str, what: &'static str, limit: u64, actual: u64| {
            reject(Error::LimitExceeded {
                entry: Some(entry.to_owned()),
                what,
                limit,
                actual,
            })
        };
        let mut names: Vec<(String, bool)> = vec![("manifest.json".into(), false)];
        for s in &self.signers {
            names.push((format!("signatures/{}.sig", s.name), false));
            let pem = format!("signatures/{}.pem", s.name);
            let size = s.chain_pem.len() as u64;
            if size > limits.max_signature_file_bytes {
                let max = limits.max_signature_file_bytes;
                return Err(too_big(&pem, "signature file size", max, size));
            }
            names.push((pem, false));
            if self.timestamper.is_some() {
                names.push((format!("signatures/{}.tst", s.name), false));
            }
        }
        for d in &self.directories {
            let d = if d.ends_with('/') {
                d.clone()
            } else {
                format!("{d}/")
            };
            names.push((d, true));
        }
        for f in &self.files {
            names.push((f.path.clone(), false));
            crate::verify::check_mode(&f.path, Some(f.mode), f.manifest_mode.then_some(f.mode))
                .map_err(reject)?;
        }
        if names.len() as u64 > limits.max_entries {
            let n = names.len() as u64;
            return Err(reject(Error::LimitExceeded {
                entry: None,
                what: "number of entries",
                limit: limits.max_entries,
                actual: n,
            }));
        }
        let mut layout = LayoutBuilder::default();
        for (i, (name, is_dir)) in names.iter().enumerate() {
            check_path(name).map_err(reject)?;
            layout.push(i, name, *is_dir, &limits).map_err(reject)?;
        }
        if signed {
            layout.signatures().map_err(reject)?;
        }
        let list: Vec<(&str, bool)> = names.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        names_of(&list).map_err(reject)
    }

    /// Writes the package to `out` and returns it.
    ///
    /// # Errors
    /// As [`PackageBuilder::manifest`]; [`BuildError::Read`] if a file cannot
    /// be read, [`BuildError::Write`] if the output cannot be written,
    /// [`BuildError::Sign`] if a key fails to sign.
    pub fn write<W: Write + Seek>(self, out: W) -> Result<W, BuildError> {
        let manifest = self.manifest()?;
        self.write_manifest(out, &manifest)
    }

    /// Writes the package with `manifest` (from [`PackageBuilder::manifest`],
    /// so that files are hashed once) and returns `out`.
    ///
    /// # Errors
    /// As [`PackageBuilder::write`].
    pub fn write_manifest<W: Write + Seek>(
        self,
        out: W,
        manifest: &Manifest,
    ) -> Result<W, BuildError> {
        self.check_entries(true)?;
        check_manifest(manifest, &self.limits)?;
        self.write_raw(out, &manifest.to_json())
    }

    /// Fuzzing only: writes the package with `manifest_bytes` as
    /// `manifest.json`, signed as given, whatever they hold.
    #[cfg(fuzzing)]
    #[doc(hidden)]
    pub fn fuzz_write_raw<W: Write + Seek>(
        self,
        out: W,
        manifest_bytes: &[u8],
    ) -> Result<W, BuildError> {
        self.write_raw(out, manifest_bytes)
    }

    fn write_raw<W: Write + Seek>(self, out: W, manifest_bytes: &[u8]) -> Result<W, BuildError> {
        let io_err = |e: zip::result::ZipError| BuildError::Write(io::Error::other(e));
        let mut zip = ZipWriter::new(out);
        let base = SimpleFileOptions::default()
            .last_modified_time(DateTime::default())
            .system(zip::System::Unix);
        let small = base
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644);
        zip.start_file("manifest.json", small).map_err(io_err)?;
        write_all(&mut zip, manifest_bytes)?;
        for s in &self.signers {
            let signature = s.key.sign(manifest_bytes)?;
            zip.start_file(format!("signatures/{}.sig", s.name), small)
                .map_err(io_err)?;
            write_all(&mut zip, &signature)?;
            zip.start_file(format!("signatures/{}.pem", s.name), small)
                .map_err(io_err)?;
            write_all(&mut zip, &s.chain_pem)?;
            if let Some(stamp) = &self.timestamper {
                let token = stamp(&s.name, &signature).map_err(|why| BuildError::Timestamp {
                    signature: s.name.clone(),
                    why,
                })?;
                let max = self.limits.max_signature_file_bytes;
                let entry = format!("signatures/{}.tst", s.name);
                if token.len() as u64 > max {
                    return Err(BuildError::WouldReject(Error::LimitExceeded {
                        entry: Some(entry),
                        what: "signature file size",
                        limit: max,
                        actual: token.len() as u64,
                    }));
                }
                zip.start_file(entry, small).map_err(io_err)?;
                write_all(&mut zip, &token)?;
            }
        }
        for d in &self.directories {
            zip.add_directory(d.as_str(), base.unix_permissions(0o755))
                .map_err(io_err)?;
        }
        let method = match self.compression {
            Compression::Deflated => CompressionMethod::Deflated,
            Compression::Stored => CompressionMethod::Stored,
        };
        for f in &self.files {
            let size = match &f.content {
                Content::Bytes(b) => b.len() as u64,
                Content::Disk(p) => std::fs::metadata(p)
                    .map_err(|source| read_error(p, source))?
                    .len(),
            };
            let options = base
                .compression_method(method)
                .large_file(size >= u64::from(u32::MAX))
                .external_attributes((0o100000 | f.mode) << 16);
            zip.start_file(f.path.as_str(), options).map_err(io_err)?;
            match &f.content {
                Content::Bytes(b) => write_all(&mut zip, b)?,
                Content::Disk(p) => {
                    let mut src = File::open(p).map_err(|source| read_error(p, source))?;
                    io::copy(&mut src, &mut zip).map_err(|source| read_error(p, source))?;
                }
            }
        }
        zip.finish().map_err(io_err)
    }
}

/// The verifier's rules on a manifest this builder signs: it reads back as
/// itself, within the size limit.
fn check_manifest(manifest: &Manifest, limits: &Limits) -> Result<(), BuildError> {
    let json = manifest.to_json();
    Manifest::parse(&json).map_err(BuildError::WouldReject)?;
    let max = limits.max_manifest_bytes;
    if json.len() as u64 > max {
        return Err(BuildError::WouldReject(Error::LimitExceeded {
            entry: Some("manifest.json".into()),
            what: "manifest size",
            limit: max,
            actual: json.len() as u64,
        }));
    }
    Ok(())
}

fn write_all<W: Write + Seek>(zip: &mut ZipWriter<W>, bytes: &[u8]) -> Result<(), BuildError> {
    zip.write_all(bytes).map_err(BuildError::Write)
}

fn read_error(path: &std::path::Path, source: io::Error) -> BuildError {
    BuildError::Read {
        path: path.display().to_string(),
        source,
    }
}

fn hash_file(path: &std::path::Path) -> io::Result<(u64, [u8; 32])> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok((size, hasher.finalize().into()))
}
