//! Scheduled tasks in the payload: cron lines (system crontabs with a user
//! field, user crontabs without), and systemd timer settings.

/// A cron line: its schedule and the command it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronLine {
    /// `0 3 * * *` or `@daily`, fields separated by one space.
    pub(crate) schedule: String,
    /// The command, as written.
    pub(crate) command: String,
}

/// Names cron accepts in the month and weekday fields.
const CRON_NAMES: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "sun",
    "mon", "tue", "wed", "thu", "fri", "sat",
];

/// Whether `f` is one field of a cron schedule (`*`, `0`, `*/5`, `1-5`,
/// `mon-fri`, `1,15`).
fn cron_field(f: &str) -> bool {
    !f.is_empty()
        && f.split(',').all(|part| {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            let step_ok =
                step.is_none_or(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
            let value = |v: &str| {
                (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
                    || CRON_NAMES.contains(&v.to_ascii_lowercase().as_str())
            };
            let range_ok = range == "*"
                || match range.split_once('-') {
                    Some((a, b)) => value(a) && value(b),
                    None => value(range),
                };
            step_ok && range_ok
        })
}

/// Reads `line` as a crontab line; `user_field`: a system crontab
/// (`/etc/crontab`, `/etc/cron.d/*`), whose sixth field is the user.
/// `None` for comments, blank lines, variable settings and anything else.
pub(crate) fn cron_line(line: &str, user_field: bool) -> Option<CronLine> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let first = fields.next()?;
    let schedule = if first.starts_with('@') {
        let known = [
            "@reboot",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
        ];
        if !known.contains(&first) {
            return None;
        }
        first.to_owned()
    } else {
        let mut parts = vec![first];
        for _ in 0..4 {
            parts.push(fields.next()?);
        }
        if !parts.iter().all(|f| cron_field(f)) {
            return None;
        }
        parts.join(" ")
    };
    if user_field {
        let user = fields.next()?;
        if !user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return None;
        }
    }
    let command = fields.collect::<Vec<_>>().join(" ");
    (!command.is_empty()).then_some(CronLine { schedule, command })
}

/// A systemd timer's trigger setting (`OnCalendar=daily`), as `Key=value`.
pub(crate) fn timer_trigger(line: &str) -> Option<String> {
    let (key, value) = line.trim().split_once('=')?;
    let key = key.trim();
    let triggers = [
        "OnCalendar",
        "OnBootSec",
        "OnStartupSec",
        "OnActiveSec",
        "OnUnitActiveSec",
        "OnUnitInactiveSec",
    ];
    (triggers.contains(&key) && !value.trim().is_empty()).then(|| format!("{key}={}", value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_lines() {
        let system = cron_line(
            "0 3 * * * dten /opt/dten/scripts/import.sh >> /var/log/x 2>&1",
            true,
        )
        .unwrap();
        assert_eq!(system.schedule, "0 3 * * *");
        assert_eq!(
            system.command,
            "/opt/dten/scripts/import.sh >> /var/log/x 2>&1"
        );
        let user = cron_line("*/15  8-18 * * mon-fri /usr/bin/true", false).unwrap();
        assert_eq!(user.schedule, "*/15 8-18 * * mon-fri");
        assert_eq!(user.command, "/usr/bin/true");
        assert_eq!(
            cron_line("@daily root run-parts x", true).unwrap().schedule,
            "@daily"
        );
        for quiet in [
            "# 0 3 * * * root commented out",
            "MAILTO=ops@dten.example",
            "SHELL=/bin/bash",
            "",
            "0 3 * * *",
            "0 3 * * * root",
            "Run this at 0 3 every day",
            "@sometimes root x",
            "1 2 3 4 5",
        ] {
            assert_eq!(cron_line(quiet, true), None, "{quiet}");
        }
    }

    #[test]
    fn timer_triggers() {
        assert_eq!(
            timer_trigger("OnCalendar=*-*-* 03:00:00").as_deref(),
            Some("OnCalendar=*-*-* 03:00:00")
        );
        assert_eq!(
            timer_trigger("OnBootSec = 5min").as_deref(),
            Some("OnBootSec=5min")
        );
        assert_eq!(timer_trigger("Persistent=true"), None);
        assert_eq!(timer_trigger("OnCalendar="), None);
    }
}
