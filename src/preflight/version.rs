//! The version rule: Debian's ordering of version strings, and a SemVer
//! requirement (the manifest's syntax) checked against an installed version
//! that need not be SemVer (`14.10`, `3.0.11-1~deb12u2`).
//!
//! A requirement's comparators become bounds of three numeric components
//! (`>=14` is `>= 14.0.0`, `^1.2` is `>= 1.2.0` and `< 2.0.0~`); the
//! installed version is reduced to its upstream part (no epoch, no Debian
//! revision; a valid SemVer version keeps its pre-release as `~pre` and
//! drops build metadata), its leading numeric components padded with `.0`
//! up to three, and compared with the bounds by Debian's ordering. An
//! exclusive upper bound `< X` excludes X's pre-releases (`4.0.0~rc1` does
//! not satisfy `<4`), as SemVer does.

use std::cmp::Ordering;

use semver::{Op, VersionReq};

/// Debian's ordering of two version strings (`[epoch:]upstream[-revision]`,
/// as `dpkg --compare-versions`): the epoch numerically, then upstream and
/// revision, each alternating non-digit runs (`~` before everything, even
/// the end; letters before other characters) and digit runs (numerically).
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    digits(ea, eb)
        .then_with(|| part(ua, ub))
        .then_with(|| part(ra, rb))
}

/// `[epoch:]upstream[-revision]`: the epoch (digits, "0" when absent or
/// not numeric, in which case the colon stays in upstream), upstream and
/// revision ("" when there is no hyphen).
fn split(v: &str) -> (&str, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => (e, rest),
        _ => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// dpkg's weight of a character in a non-digit run; `None` is the end of
/// the run (or of the string), which weighs 0.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` over one part (upstream or revision).
fn part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // The non-digit runs, character by character.
        loop {
            let (ca, cb) = (a.first().copied(), b.first().copied());
            let a_in = ca.is_some_and(|c| !c.is_ascii_digit());
            let b_in = cb.is_some_and(|c| !c.is_ascii_digit());
            if !a_in && !b_in {
                break;
            }
            let (wa, wb) = (weight(ca.filter(|_| a_in)), weight(cb.filter(|_| b_in)));
            if wa != wb {
                return wa.cmp(&wb);
            }
            a = a.get(1..).unwrap_or_default();
            b = b.get(1..).unwrap_or_default();
        }
        // The digit runs, numerically.
        let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let (da, ra) = a.split_at(na);
        let (db, rb) = b.split_at(nb);
        let o = digits_bytes(da, db);
        if o != Ordering::Equal {
            return o;
        }
        a = ra;
        b = rb;
    }
    Ordering::Equal
}

/// Two digit strings compared as numbers of any length ("" is 0).
fn digits(a: &str, b: &str) -> Ordering {
    digits_bytes(a.as_bytes(), b.as_bytes())
}

fn digits_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |d: &[u8]| -> Vec<u8> { d.iter().copied().skip_while(|c| *c == b'0').collect() };
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

/// Whether `installed` can be compared with a version at all: after an
/// epoch `N:`, it starts with a digit (Debian's rule for an upstream
/// version). `trunk` or `OpenSSL 1.1.1w` cannot; checks that need the
/// comparison say so rather than guess.
pub(crate) fn is_comparable(installed: &str) -> bool {
    let t = installed.trim();
    let upstream = match t.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) => {
            rest
        }
        _ => t,
    };
    upstream.starts_with(|c: char| c.is_ascii_digit())
}

/// The installed version as compared with a requirement's bounds: its
/// upstream part, a SemVer pre-release written `~pre`, the leading numeric
/// components padded with `.0` to three (see the module docs).
pub(crate) fn comparable(installed: &str) -> String {
    let installed = installed.trim();
    // SemVer with a pre-release that starts with a letter (`-rc.1`): a
    // pre-release. `-1` or `-1+deb12u1` is a Debian revision, dropped below.
    if let Ok(v) = semver::Version::parse(installed) {
        if v.pre.is_empty()
            || v.pre
                .as_str()
                .starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return bound(v.major, v.minor, v.patch, v.pre.as_str());
        }
    }
    let (_, upstream, _) = split(installed);
    // The numeric head: digits and dots, ending on a digit.
    let head_len = {
        let mut end = 0;
        let mut last_digit = false;
        for (i, c) in upstream.bytes().enumerate() {
            if c.is_ascii_digit() {
                end = i + 1;
                last_digit = true;
            } else if c == b'.' && last_digit {
                last_digit = false;
            } else {
                break;
            }
        }
        end
    };
    let (head, rest) = upstream.split_at(head_len);
    if head.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit()) {
        return upstream.to_owned();
    }
    let parts = head.split('.').count();
    let mut out = head.to_owned();
    for _ in parts..3 {
        out.push_str(".0");
    }
    // Upstream pre-releases written right after the number (`17beta1`,
    // `3.0.0rc1`, `2.1-alpha`), as PostgreSQL and others name them, come
    // before the release, as `~` makes them in Debian's ordering.
    let marker = rest
        .trim_start_matches(['-', '.', '_'])
        .to_ascii_lowercase();
    if ["alpha", "beta", "rc", "pre", "dev", "preview"]
        .iter()
        .any(|m| marker.starts_with(m))
        && !rest.starts_with('~')
    {
        out.push('~');
        out.push_str(rest.trim_start_matches(['-', '.', '_']));
        return out;
    }
    out.push_str(rest);
    out
}

/// A bound written for Debian comparison: `M.m.p`, or `M.m.p~pre`.
fn bound(major: u64, minor: u64, patch: u64, pre: &str) -> String {
    if pre.is_empty() {
        format!("{major}.{minor}.{patch}")
    } else {
        format!("{major}.{minor}.{patch}~{pre}")
    }
}

/// One side of a range: the version and whether it is included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Limit {
    version: String,
    inclusive: bool,
}

/// The range one comparator allows: a lower and an upper limit, each optional.
fn range(c: &semver::Comparator) -> (Option<Limit>, Option<Limit>) {
    let major = c.major;
    let pre = c.pre.as_str();
    let at = |maj: u64, min: u64, pat: u64, pre: &str, inclusive: bool| {
        Some(Limit {
            version: bound(maj, min, pat, pre),
            inclusive,
        })
    };
    // An exclusive upper limit below all of X's pre-releases: `X~`.
    let below = |maj: u64, min: u64, pat: u64| {
        Some(Limit {
            version: format!("{}~", bound(maj, min, pat, "")),
            inclusive: false,
        })
    };
    let next = |n: u64| n.saturating_add(1);
    match (c.op, c.minor, c.patch) {
        (Op::Exact | Op::Wildcard, Some(minor), Some(patch)) => (
            at(major, minor, patch, pre, true),
            at(major, minor, patch, pre, true),
        ),
        (Op::Exact | Op::Wildcard | Op::Tilde, Some(minor), None) => {
            (at(major, minor, 0, "", true), below(major, next(minor), 0))
        }
        (Op::Exact | Op::Wildcard | Op::Tilde | Op::Caret, None, _) => {
            (at(major, 0, 0, "", true), below(next(major), 0, 0))
        }
        (Op::Greater, Some(minor), Some(patch)) => (at(major, minor, patch, pre, false), None),
        (Op::Greater, Some(minor), None) => (at(major, next(minor), 0, "", true), None),
        (Op::Greater, None, _) => (at(next(major), 0, 0, "", true), None),
        (Op::GreaterEq, minor, patch) => (
            at(major, minor.unwrap_or(0), patch.unwrap_or(0), pre, true),
            None,
        ),
        (Op::Less, minor, patch) => {
            let (minor, patch) = (minor.unwrap_or(0), patch.unwrap_or(0));
            if pre.is_empty() {
                (None, below(major, minor, patch))
            } else {
                (None, at(major, minor, patch, pre, false))
            }
        }
        (Op::LessEq, Some(minor), Some(patch)) => (None, at(major, minor, patch, pre, true)),
        (Op::LessEq, Some(minor), None) => (None, below(major, next(minor), 0)),
        (Op::LessEq, None, _) => (None, below(next(major), 0, 0)),
        (Op::Tilde, Some(minor), Some(patch)) => (
            at(major, minor, patch, pre, true),
            below(major, next(minor), 0),
        ),
        (Op::Caret, Some(minor), patch) => {
            let low = at(major, minor, patch.unwrap_or(0), pre, true);
            let high = if major > 0 {
                below(next(major), 0, 0)
            } else if minor > 0 || patch.is_none() {
                below(0, next(minor), 0)
            } else {
                below(0, 0, next(patch.unwrap_or(0)))
            };
            (low, high)
        }
        // semver::Op is non-exhaustive: an operator added later is taken as
        // exact on what it gives.
        (_, minor, patch) => {
            let (minor, patch) = (minor.unwrap_or(0), patch.unwrap_or(0));
            (
                at(major, minor, patch, pre, true),
                at(major, minor, patch, pre, true),
            )
        }
    }
}

/// Whether `installed` (any version string) satisfies `req` by the rule in
/// the module docs.
pub(crate) fn satisfies(req: &VersionReq, installed: &str) -> bool {
    let v = comparable(installed);
    req.comparators.iter().all(|c| {
        let (low, high) = range(c);
        low.is_none_or(|l| match compare(&v, &l.version) {
            Ordering::Greater => true,
            Ordering::Equal => l.inclusive,
            Ordering::Less => false,
        }) && high.is_none_or(|h| match compare(&v, &h.version) {
            Ordering::Less => true,
            Ordering::Equal => h.inclusive,
            Ordering::Greater => false,
        })
    })
}

/// Whether `req` has no upper bound (`>=14`, `>3`, `*`): any future
/// release satisfies it.
pub(crate) fn is_loose(req: &VersionReq) -> bool {
    !req.comparators.iter().any(|c| range(c).1.is_some())
}

/// Two versions of the same product (the package's and the installed one)
/// compared by the same rule as [`satisfies`]: upstream parts, padded.
pub(crate) fn compare_product(a: &str, b: &str) -> Ordering {
    compare(&comparable(a), &comparable(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dpkg's own documented and tested orderings (deb-version(7), dpkg's
    /// t-version tests), each `a < b`.
    const DEBIAN_LESS: &[(&str, &str)] = &[
        ("1.0~rc1", "1.0"),
        ("1.0~~", "1.0~~a"),
        ("1.0~~a", "1.0~"),
        ("1.0~", "1.0"),
        ("1.0", "1.0a"),
        ("1.0a", "1.0+"),
        ("1.0", "1.0.1"),
        ("1.0-1", "1.0-2"),
        ("1.0-1", "1.0-1.1"),
        ("1.0-1~bpo1", "1.0-1"),
        ("0:1.0", "1:0.1"),
        ("1:9.9", "2:0"),
        ("1.2.3", "1.2.10"),
        ("9", "10"),
        ("2.9", "2.10"),
        ("1.0~beta1", "1.0~beta2"),
        ("1.0~beta2", "1.0~rc1"),
        ("3.0.11-1~deb12u1", "3.0.11-1~deb12u2"),
        ("3.0.11-1~deb12u2", "3.0.11-1"),
        ("a", "b"),
        ("1.0a", "1.0b"),
        ("1.0z", "1.0."),
        ("", "0.1"),
        ("7.6-0", "7.6p2-4"),
        ("1.18.36:5.4", "1.18.37:1.1"),
    ];

    /// Equal under Debian's ordering.
    const DEBIAN_EQUAL: &[(&str, &str)] = &[
        ("1.0", "1.0"),
        ("0:1.0", "1.0"),
        ("1.0-0", "1.0"),
        ("1.001", "1.1"),
        ("00:1.0", "1.0"),
        ("1.0-1", "1.0-01"),
    ];

    #[test]
    fn debian_ordering() {
        for (a, b) in DEBIAN_LESS {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in DEBIAN_EQUAL {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} == {b}");
        }
    }

    #[test]
    fn huge_digit_runs_compare_without_overflow() {
        let big = "9".repeat(400);
        assert_eq!(compare(&format!("1.{big}"), "1.2"), Ordering::Greater);
        assert_eq!(compare(&big, &format!("{big}0")), Ordering::Less);
    }

    /// (requirement, installed, satisfied)
    const SATISFIES: &[(&str, &str, bool)] = &[
        (">=3.0, <4", "3.0.11-1~deb12u2", true),
        (">=3.0, <4", "3.0.19", true),
        (">=3.0, <4", "4.0.0", false),
        (">=3.0, <4", "4.0.0~rc1", false),
        (">=3.0, <4", "2.9.9", false),
        (">=3.0", "3.0.0~rc1", false),
        (">=3.0", "3.0", true),
        (">=3.0", "3", true),
        (">=14", "14.10", true),
        (">=14", "14", true),
        (">=14", "13.9", false),
        (">=14", "1:14.2-1", true),
        (">=14", "14.0~beta1", false),
        // Upstream pre-releases without `~`: before the release.
        (">=17", "17beta1", false),
        (">=17", "17rc2", false),
        (">=16", "17beta1", true),
        (">=3.0", "3.0.0-alpha2", false),
        (">=1.1.1", "1.1.1w", true),
        ("<17", "17beta1", false),
        ("^1.2", "1.9.0", true),
        ("^1.2", "2.0", false),
        ("^1.2", "1.1.9", false),
        ("^0.2.3", "0.2.9", true),
        ("^0.2.3", "0.3", false),
        ("^0.0.3", "0.0.3", true),
        ("^0.0.3", "0.0.4", false),
        ("~1.2", "1.2.7", true),
        ("~1.2", "1.3", false),
        ("~1.2.3", "1.2.2", false),
        ("=1.2.3", "1.2.3", true),
        ("=1.2.3", "1.2.3.1", false),
        ("=1.2", "1.2.9", true),
        ("=1.2", "1.3.0", false),
        ("1.2.*", "1.2.15", true),
        ("1.2.*", "1.20", false),
        ("1.*", "1.99", true),
        ("1.*", "2.0", false),
        ("*", "anything at all", true),
        ("<=1.2", "1.2.9", true),
        ("<=1.2", "1.3", false),
        ("<=1.2.3", "1.2.3", true),
        (">1.2", "1.2.9", false),
        (">1.2", "1.3", true),
        (">1.2.3", "1.2.3", false),
        (">1.2.3", "1.2.4~rc1", true),
        (">=2.0.0-rc.1", "2.0.0-rc.2", true),
        (">=2.0.0-rc.1", "2.0.0~rc.0", false),
        ("<2.0.0-rc.1", "2.0.0-beta.1", true),
        (">=4.0.0, <4.2.0", "4.1.0", true),
        (">=4.0.0, <4.2.0", "4.2.0", false),
        (">=1.1", "1.1.1w", true),
        (">=3.0.19", "3.0.19-1", true),
        ("<=3.0.11", "3.0.11-1+deb12u1", true),
        (">=1.2", "1.2a", true),
    ];

    #[test]
    fn requirements_against_installed_versions() {
        for (req, installed, want) in SATISFIES {
            let r = VersionReq::parse(req).unwrap();
            assert_eq!(satisfies(&r, installed), *want, "{installed} vs {req}");
        }
    }

    #[test]
    fn padding_applies_to_the_numeric_head_only() {
        for (v, want) in [
            ("14", "14.0.0"),
            ("14.10", "14.10.0"),
            ("3.0~rc1", "3.0.0~rc1"),
            ("3.0.11-1~deb12u2", "3.0.11"),
            ("1:2.5", "2.5.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("2.0.0-rc.1", "2.0.0~rc.1"),
            ("2.0.0+build.5", "2.0.0"),
            ("3.0.19-1", "3.0.19"),
            ("3.0.11-1+deb12u1", "3.0.11"),
            ("trunk", "trunk"),
            ("1.1.1w", "1.1.1w"),
        ] {
            assert_eq!(comparable(v), want, "{v}");
        }
    }

    #[test]
    fn loose_constraints_have_no_upper_bound() {
        for (req, loose) in [
            (">=14", true),
            (">3", true),
            ("*", true),
            (">=3.0, <4", false),
            ("^1.2", false),
            ("~1.2", false),
            ("=1.2.3", false),
            ("1.2.*", false),
            ("<=5", false),
            ("1.2", false),
        ] {
            assert_eq!(is_loose(&VersionReq::parse(req).unwrap()), loose, "{req}");
        }
    }

    #[test]
    fn product_versions() {
        assert_eq!(compare_product("4.2.0", "4.1.0"), Ordering::Greater);
        assert_eq!(compare_product("4.0", "4.0.0"), Ordering::Equal);
        assert_eq!(compare_product("4.2.0-rc.1", "4.2.0"), Ordering::Less);
        assert_eq!(compare_product("4.2.0", "4.2.0-1"), Ordering::Equal);
    }
}
