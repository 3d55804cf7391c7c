//! A node's [`NodeReport`] as `/diagnostics` carries it (diagnostic_msgs/DiagnosticStatus, as
//! ROS's diagnostic_updater publishes): counters and per-stage latency as key/values, level WARN
//! while problem counters grow. Both runtimes publish it for every node every [`PERIOD`].

use crate::NodeReport;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::diagnostic_msgs::{DiagnosticArray, DiagnosticStatus, KeyValue};
use edgefusion_msgs::std_msgs::Header;
use std::collections::BTreeMap;
use std::time::Duration;

pub const PERIOD: Duration = Duration::from_secs(1);

/// Turns successive reports of one node into statuses; remembers the problem counters of the
/// last one to say what grew since.
#[derive(Debug, Default)]
pub struct Diagnostics {
    last_problems: BTreeMap<String, u64>,
}

impl Diagnostics {
    /// The status of node `name` (fully qualified), in a one-status array stamped `now`.
    pub fn array(&mut self, name: &str, report: &NodeReport, now: Time) -> DiagnosticArray {
        let grown: Vec<String> = report
            .problems
            .iter()
            .filter_map(|(problem, &n)| {
                let before = self.last_problems.get(problem).copied().unwrap_or(0);
                (n > before).then(|| format!("{problem} +{}", n - before))
            })
            .collect();
        self.last_problems = report.problems.clone();
        let (level, message) = if grown.is_empty() {
            (DiagnosticStatus::OK, "ok".to_string())
        } else {
            (DiagnosticStatus::WARN, format!("since the last status: {}", grown.join(", ")))
        };
        let mut values: Vec<KeyValue> = report
            .counters
            .iter()
            .map(|(key, n)| KeyValue { key: key.clone(), value: n.to_string() })
            .collect();
        for (stage, l) in &report.latency {
            values.push(KeyValue {
                key: format!("latency.{stage}.p50_ms"),
                value: format!("{:.3}", l.p50_ms),
            });
            values.push(KeyValue {
                key: format!("latency.{stage}.p99_ms"),
                value: format!("{:.3}", l.p99_ms),
            });
        }
        let status = DiagnosticStatus {
            level,
            name: name.to_string(),
            message,
            hardware_id: String::new(),
            values,
        };
        DiagnosticArray { header: Header::new(now, ""), status: vec![status] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_while_problems_grow_and_lists_counters() {
        let mut diagnostics = Diagnostics::default();
        let mut report = NodeReport::default();
        report.counters.insert("clouds_received".into(), 3);
        report.counters.insert("no_image".into(), 2);
        report.problems.insert("no_image".into(), 2);
        let first = diagnostics.array("/fusion", &report, Time::from_nanos(5));
        let status = &first.status[0];
        assert_eq!((status.level, status.name.as_str()), (DiagnosticStatus::WARN, "/fusion"));
        assert_eq!(status.message, "since the last status: no_image +2");
        assert!(status
            .values
            .contains(&KeyValue { key: "clouds_received".into(), value: "3".into() }));
        // Nothing new: back to OK, the totals still listed.
        let second = diagnostics.array("/fusion", &report, Time::from_nanos(6));
        assert_eq!(second.status[0].level, DiagnosticStatus::OK);
        assert!(second.status[0].values.iter().any(|v| v.key == "no_image" && v.value == "2"));
    }
}
