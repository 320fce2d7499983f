//! Per-call budgets: what one tool call may ask of the host, counted by the
//! host as the plugin asks. A call over a budget is ended by a trap carrying
//! [`BudgetExceeded`]; it fails as a tool error naming the plugin and the
//! budget, and nothing past the budget reaches the host's capabilities.

use std::fmt;
use std::sync::Arc;

/// The most write operations one tool call may ask for, whatever the
/// confirmation mode. Not configurable: "one call, one write" is what a user
/// confirms and what the audit trail promises.
pub const WRITES_PER_CALL: u32 = 1;

/// The configurable budgets of one call (`ACCESS_MCP_BUDGET_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct BudgetLimits {
    /// Host-import calls one tool call may make (reads, permission checks,
    /// writes, log records and clock reads alike).
    #[arg(
        long = "budget-imports",
        env = "ACCESS_MCP_BUDGET_IMPORTS",
        default_value_t = 1_000
    )]
    pub imports: u32,
    /// Rows the host's reads may return to one tool call, in total.
    #[arg(
        long = "budget-rows",
        env = "ACCESS_MCP_BUDGET_ROWS",
        default_value_t = 50_000
    )]
    pub rows: u64,
    /// Log records one tool call may write.
    #[arg(
        long = "budget-log-records",
        env = "ACCESS_MCP_BUDGET_LOG_RECORDS",
        default_value_t = 100
    )]
    pub log_records: u32,
    /// Bytes of log records (message, field names and values) one tool call may write.
    #[arg(
        long = "budget-log-bytes",
        env = "ACCESS_MCP_BUDGET_LOG_BYTES",
        default_value_t = 65_536
    )]
    pub log_bytes: u64,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        BudgetLimits {
            imports: 1_000,
            rows: 50_000,
            log_records: 100,
            log_bytes: 65_536,
        }
    }
}

/// One of the budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Imports,
    Rows,
    LogRecords,
    LogBytes,
    Writes,
}

impl Budget {
    /// A stable name (for metrics, logs and the audit report).
    pub fn key(self) -> &'static str {
        match self {
            Budget::Imports => "imports",
            Budget::Rows => "rows",
            Budget::LogRecords => "log_records",
            Budget::LogBytes => "log_bytes",
            Budget::Writes => "writes",
        }
    }

    /// What is counted, in words ("host-import calls"; singular for one).
    pub fn unit(self, count: u64) -> &'static str {
        let one = count == 1;
        match self {
            Budget::Imports if one => "host-import call",
            Budget::Imports => "host-import calls",
            Budget::Rows if one => "row read",
            Budget::Rows => "rows read",
            Budget::LogRecords if one => "log record",
            Budget::LogRecords => "log records",
            Budget::LogBytes if one => "log byte",
            Budget::LogBytes => "log bytes",
            Budget::Writes if one => "write operation",
            Budget::Writes => "write operations",
        }
    }
}

/// What one call used of each budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetUse {
    pub imports: u32,
    pub rows: u64,
    pub log_records: u32,
    pub log_bytes: u64,
    pub writes: u32,
}

/// The trap that ends a call over budget.
#[derive(Debug, Clone)]
pub struct BudgetExceeded {
    pub plugin: Arc<str>,
    pub budget: Budget,
    pub limit: u64,
}

impl fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin `{}` exceeded its budget of {} {} per tool call",
            self.plugin,
            self.limit,
            self.budget.unit(self.limit)
        )
    }
}

impl std::error::Error for BudgetExceeded {}

/// The counters of one call against its limits.
#[derive(Debug, Clone)]
pub struct CallBudget {
    limits: BudgetLimits,
    used: BudgetUse,
}

impl CallBudget {
    pub fn new(limits: BudgetLimits) -> Self {
        CallBudget {
            limits,
            used: BudgetUse::default(),
        }
    }

    pub fn used(&self) -> BudgetUse {
        self.used
    }

    /// Count one host-import call.
    pub fn import(&mut self) -> Result<(), (Budget, u64)> {
        if self.used.imports >= self.limits.imports {
            return Err((Budget::Imports, self.limits.imports.into()));
        }
        self.used.imports += 1;
        Ok(())
    }

    /// Whether a read may still run (some row budget is left).
    pub fn may_read(&self) -> Result<(), (Budget, u64)> {
        if self.used.rows >= self.limits.rows {
            return Err((Budget::Rows, self.limits.rows));
        }
        Ok(())
    }

    /// Count rows a read returned; over the budget, they are not delivered.
    pub fn rows(&mut self, n: usize) -> Result<(), (Budget, u64)> {
        self.used.rows = self.used.rows.saturating_add(n as u64);
        if self.used.rows > self.limits.rows {
            return Err((Budget::Rows, self.limits.rows));
        }
        Ok(())
    }

    /// Count one log record of `bytes` bytes.
    pub fn log(&mut self, bytes: usize) -> Result<(), (Budget, u64)> {
        if self.used.log_records >= self.limits.log_records {
            return Err((Budget::LogRecords, self.limits.log_records.into()));
        }
        let after = self.used.log_bytes.saturating_add(bytes as u64);
        if after > self.limits.log_bytes {
            return Err((Budget::LogBytes, self.limits.log_bytes));
        }
        self.used.log_records += 1;
        self.used.log_bytes = after;
        Ok(())
    }

    /// Count one write operation (before it runs).
    pub fn write(&mut self) -> Result<(), (Budget, u64)> {
        if self.used.writes >= WRITES_PER_CALL {
            return Err((Budget::Writes, WRITES_PER_CALL.into()));
        }
        self.used.writes += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_budget_refuses_past_its_limit() {
        let mut b = CallBudget::new(BudgetLimits {
            imports: 2,
            rows: 10,
            log_records: 2,
            log_bytes: 100,
        });
        assert!(b.import().is_ok() && b.import().is_ok());
        assert_eq!(b.import(), Err((Budget::Imports, 2)));
        assert!(b.rows(10).is_ok());
        assert_eq!(b.may_read(), Err((Budget::Rows, 10)));
        assert_eq!(b.rows(1), Err((Budget::Rows, 10)));
        assert!(b.log(60).is_ok());
        assert_eq!(b.log(41), Err((Budget::LogBytes, 100)));
        assert!(b.log(40).is_ok());
        assert_eq!(b.log(0), Err((Budget::LogRecords, 2)));
        assert!(b.write().is_ok());
        assert_eq!(b.write(), Err((Budget::Writes, 1)));
        assert_eq!(
            b.used(),
            BudgetUse {
                imports: 2,
                rows: 11,
                log_records: 2,
                log_bytes: 100,
                writes: 1
            }
        );
    }

    #[test]
    fn the_message_names_plugin_budget_and_limit() {
        let e = BudgetExceeded {
            plugin: Arc::from("hostile"),
            budget: Budget::Writes,
            limit: 1,
        };
        assert_eq!(
            e.to_string(),
            "plugin `hostile` exceeded its budget of 1 write operation per tool call"
        );
    }
}
