//! The review workflow: statuses, actions, who may take them, and what changed between two
//! versions of a form. Pure rules; the server applies them and records who, when and why.

use crate::{Form, Indicator};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 草稿: being filled in (or adjusted after approval).
    Draft,
    /// 已送审: waiting for the department.
    Submitted,
    /// 已退回: returned with comments, to be fixed and submitted again.
    Returned,
    /// 主管部门已审核: waiting for the finance bureau.
    DeptApproved,
    /// 财政已批复.
    FinanceApproved,
    /// 已公开.
    Published,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Withdraw,
    Return,
    Approve,
    Publish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 填报人 of an implementing unit: its unit's forms.
    Unit,
    /// Department reviewer: the forms of its units.
    Department,
    /// Finance-bureau reviewer: every form of its jurisdiction.
    Finance,
    /// 系统管理员: accounts and organisations (and which unit a form belongs to); no form
    /// content, no roles of its own to give (see [`crate::duties`]).
    Admin,
    /// 安全管理员: roles, the approval of privileged grants, the review rule set; no form
    /// content, no accounts.
    Security,
    /// 审计管理员: reads and exports the audit log and keeps its retention; nothing else.
    AuditAdmin,
    /// 审计人员 (business): reads every form; changes nothing.
    Auditor,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Submitted,
        Status::Returned,
        Status::DeptApproved,
        Status::FinanceApproved,
        Status::Published,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
            Status::DeptApproved => "dept_approved",
            Status::FinanceApproved => "finance_approved",
            Status::Published => "published",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::Submitted => "已送审",
            Status::Returned => "已退回",
            Status::DeptApproved => "主管部门已审核",
            Status::FinanceApproved => "财政已批复",
            Status::Published => "已公开",
        }
    }

    pub fn from_name(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.name() == s)
    }

    /// How a save treats a form in this status.
    pub fn on_edit(self) -> EditRule {
        match self {
            Status::Draft | Status::Returned => EditRule::InPlace,
            Status::Submitted | Status::DeptApproved => EditRule::Refused,
            Status::FinanceApproved | Status::Published => EditRule::Adjustment,
        }
    }
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Withdraw => "withdraw",
            Action::Return => "return",
            Action::Approve => "approve",
            Action::Publish => "publish",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            Action::Submit => "送审",
            Action::Withdraw => "撤回",
            Action::Return => "退回",
            Action::Approve => "审核通过",
            Action::Publish => "公开",
        }
    }
}

impl Role {
    /// Every role, business roles first, then the three administrators, then the auditor.
    pub const ALL: [Role; 7] = [
        Role::Unit,
        Role::Department,
        Role::Finance,
        Role::Admin,
        Role::Security,
        Role::AuditAdmin,
        Role::Auditor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Unit => "unit",
            Role::Department => "department",
            Role::Finance => "finance",
            Role::Admin => "admin",
            Role::Security => "security",
            Role::AuditAdmin => "audit_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }

    /// The role as the pages name it.
    pub fn chinese(self) -> &'static str {
        match self {
            Role::Unit => "实施单位填报人",
            Role::Department => "主管部门审核人",
            Role::Finance => "财政局审核人",
            Role::Admin => "系统管理员",
            Role::Security => "安全管理员",
            Role::AuditAdmin => "审计管理员",
            Role::Auditor => "审计人员",
        }
    }

    /// A privileged role: it needs a second factor to sign in, and granting it through the
    /// application takes a second administrator's approval (see [`crate::duties`]).
    pub fn privileged(self) -> bool {
        !matches!(self, Role::Unit | Role::Department)
    }

    /// One of the three administrators (三员: system, security, audit), kept apart from the
    /// business: none of them sees or handles a form's content.
    pub fn administrator(self) -> bool {
        matches!(self, Role::Admin | Role::Security | Role::AuditAdmin)
    }

    /// Whether this role may create and edit its forms.
    pub fn may_edit(self) -> bool {
        self == Role::Unit
    }
}

/// What saving a form in a status does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditRule {
    /// A new version, same status.
    InPlace,
    /// Under review: withdraw first (or wait for the review).
    Refused,
    /// An adjustment (调整) of an approved form: a new version back in draft, reviewed again.
    Adjustment,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error(
        "“{status}”状态的申报表不能{action} / a form that is {status_en} cannot be {action_en}"
    )]
    NotNow {
        status: &'static str,
        status_en: &'static str,
        action: &'static str,
        action_en: &'static str,
    },
    #[error("“{status}”的自评不能{action} / a self-evaluation that is {status_en} cannot be {action_en}")]
    EvalNotNow {
        status: &'static str,
        status_en: &'static str,
        action: &'static str,
        action_en: &'static str,
    },
    #[error("此角色不能{action} / this role cannot {action_en}")]
    NotYourDuty {
        action: &'static str,
        action_en: &'static str,
    },
    #[error("退回必须写明理由 / returning a form needs a comment")]
    CommentRequired,
}

/// The status an action leads to, if this role may take it now.
pub fn transition(
    status: Status,
    action: Action,
    role: Role,
    comment: &str,
) -> Result<Status, WorkflowError> {
    use Action::*;
    use Status::*;
    let duty = match action {
        Submit | Withdraw => role == Role::Unit,
        Return | Approve => role == Role::Department || role == Role::Finance,
        Publish => role == Role::Finance,
    };
    if !duty {
        return Err(WorkflowError::NotYourDuty {
            action: action.chinese(),
            action_en: action.name(),
        });
    }
    let next = match (action, status, role) {
        (Submit, Draft | Returned, _) => Some(Submitted),
        (Withdraw, Submitted, _) => Some(Draft),
        (Return, Submitted, Role::Department) | (Return, DeptApproved, Role::Finance) => {
            Some(Returned)
        }
        (Approve, Submitted, Role::Department) => Some(DeptApproved),
        (Approve, DeptApproved, Role::Finance) => Some(FinanceApproved),
        (Publish, FinanceApproved, _) => Some(Published),
        _ => None,
    };
    settle(
        next,
        || WorkflowError::NotNow {
            status: status.chinese(),
            status_en: status.name(),
            action: action.chinese(),
            action_en: action.name(),
        },
        action,
        comment,
    )
}

/// The end of every transition, once the duty is checked: the next status if there is one
/// now, and a return only with its reason.
fn settle<S>(
    next: Option<S>,
    not_now: impl FnOnce() -> WorkflowError,
    action: Action,
    comment: &str,
) -> Result<S, WorkflowError> {
    let next = next.ok_or_else(not_now)?;
    if action == Action::Return && comment.trim().is_empty() {
        return Err(WorkflowError::CommentRequired);
    }
    Ok(next)
}

/// The status of a form's year-end self-evaluation (绩效自评), reviewed like the form: the unit
/// submits it, the department (or the finance bureau, for units without one) approves or
/// returns it; the finance bureau may return an approved one on re-check (复核).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalStatus {
    /// 自评填报中.
    Draft,
    /// 自评已送审.
    Submitted,
    /// 自评已退回.
    Returned,
    /// 自评已审核.
    Approved,
}

impl EvalStatus {
    pub const ALL: [EvalStatus; 4] = [
        EvalStatus::Draft,
        EvalStatus::Submitted,
        EvalStatus::Returned,
        EvalStatus::Approved,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EvalStatus::Draft => "draft",
            EvalStatus::Submitted => "submitted",
            EvalStatus::Returned => "returned",
            EvalStatus::Approved => "approved",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            EvalStatus::Draft => "自评填报中",
            EvalStatus::Submitted => "自评已送审",
            EvalStatus::Returned => "自评已退回",
            EvalStatus::Approved => "自评已审核",
        }
    }

    pub fn from_name(s: &str) -> Option<EvalStatus> {
        EvalStatus::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Whether the unit may change the self-evaluation in this status.
    pub fn editable(self) -> bool {
        matches!(self, EvalStatus::Draft | EvalStatus::Returned)
    }
}

/// The status a self-evaluation action leads to, if this role may take it now. Publishing
/// is not a self-evaluation action.
pub fn eval_transition(
    status: EvalStatus,
    action: Action,
    role: Role,
    comment: &str,
) -> Result<EvalStatus, WorkflowError> {
    use Action::*;
    use EvalStatus::*;
    let duty = match action {
        Submit | Withdraw => role == Role::Unit,
        Return | Approve => role == Role::Department || role == Role::Finance,
        Publish => false,
    };
    if !duty {
        return Err(WorkflowError::NotYourDuty {
            action: action.chinese(),
            action_en: action.name(),
        });
    }
    let next = match (action, status, role) {
        (Submit, Draft | Returned, _) => Some(Submitted),
        (Withdraw, Submitted, _) => Some(Draft),
        (Return, Submitted, _) | (Return, Approved, Role::Finance) => Some(Returned),
        (Approve, Submitted, _) => Some(Approved),
        _ => None,
    };
    settle(
        next,
        || WorkflowError::EvalNotNow {
            status: status.chinese(),
            status_en: status.name(),
            action: action.chinese(),
            action_en: action.name(),
        },
        action,
        comment,
    )
}

/// Forms waiting for this role's review.
pub fn waiting_for(role: Role) -> Option<Status> {
    match role {
        Role::Department => Some(Status::Submitted),
        Role::Finance => Some(Status::DeptApproved),
        _ => None,
    }
}

/// One difference between two versions of a form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `name`, `funds.total`, `goal_annual`, `indicators[数据采集完成率].raw` …
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn ind_key(i: &Indicator) -> String {
    i.id.clone().unwrap_or_else(|| i.name.clone())
}

/// What changed from `a` to `b`: header, funds, goals, and indicators matched by ID (or name).
pub fn diff(a: &Form, b: &Form) -> Vec<Change> {
    let mut out = vec![];
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(Change {
                field: name.to_string(),
                before: Some(x),
                after: Some(y),
            });
        }
    };
    field("year", a.year.to_string(), b.year.to_string());
    field("name", a.name.clone(), b.name.clone());
    field("nature", a.nature.clone(), b.nature.clone());
    field("category", a.category.clone(), b.category.clone());
    field("department", a.department.clone(), b.department.clone());
    field("implementer", a.implementer.clone(), b.implementer.clone());
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    field("start_date", date(a.start_date), date(b.start_date));
    field("end_date", date(a.end_date), date(b.end_date));
    for ((name, _, x), (_, _, y)) in a.funds.fields().into_iter().zip(b.funds.fields()) {
        let m = |m: Option<crate::Money>| m.map(|m| m.to_string()).unwrap_or_default();
        field(&format!("funds.{name}"), m(x), m(y));
    }
    field(
        "goal_overall",
        a.goal_overall.clone(),
        b.goal_overall.clone(),
    );
    field("goal_annual", a.goal_annual.clone(), b.goal_annual.clone());
    for i in &a.indicators {
        let key = ind_key(i);
        match b.indicators.iter().find(|j| ind_key(j) == key) {
            None => out.push(Change {
                field: format!("indicators[{}]", i.name),
                before: Some(format!("{} / {}", i.name, i.raw)),
                after: None,
            }),
            Some(j) => {
                let label = format!("indicators[{}]", i.name);
                let level = |x: &Indicator| {
                    format!(
                        "{} / {}",
                        x.level1,
                        x.level2.map(|l| l.name()).unwrap_or("")
                    )
                };
                for (part, x, y) in [
                    ("name", i.name.clone(), j.name.clone()),
                    ("level", level(i), level(j)),
                    ("raw", i.raw.clone(), j.raw.clone()),
                ] {
                    if x != y {
                        out.push(Change {
                            field: format!("{label}.{part}"),
                            before: Some(x),
                            after: Some(y),
                        });
                    }
                }
            }
        }
    }
    for j in &b.indicators {
        let key = ind_key(j);
        if !a.indicators.iter().any(|i| ind_key(i) == key) {
            out.push(Change {
                field: format!("indicators[{}]", j.name),
                before: None,
                after: Some(format!("{} / {}", j.name, j.raw)),
            });
        }
    }
    let order = |f: &Form| f.indicators.iter().map(ind_key).collect::<Vec<_>>();
    let (oa, ob) = (order(a), order(b));
    let common_a: Vec<&String> = oa.iter().filter(|k| ob.contains(k)).collect();
    let common_b: Vec<&String> = ob.iter().filter(|k| oa.contains(k)).collect();
    if common_a != common_b {
        out.push(Change {
            field: "indicators.order".into(),
            before: None,
            after: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path() {
        let s = transition(Status::Draft, Action::Submit, Role::Unit, "").unwrap();
        let s = transition(s, Action::Approve, Role::Department, "").unwrap();
        let s = transition(s, Action::Approve, Role::Finance, "").unwrap();
        assert_eq!(
            transition(s, Action::Publish, Role::Finance, "").unwrap(),
            Status::Published
        );
    }

    #[test]
    fn duties_are_kept_apart() {
        assert!(matches!(
            transition(Status::Submitted, Action::Approve, Role::Admin, ""),
            Err(WorkflowError::NotYourDuty { .. })
        ));
        assert!(matches!(
            transition(Status::Submitted, Action::Approve, Role::Unit, ""),
            Err(WorkflowError::NotYourDuty { .. })
        ));
        assert!(matches!(
            transition(Status::Draft, Action::Submit, Role::Finance, ""),
            Err(WorkflowError::NotYourDuty { .. })
        ));
        // Finance reviews after the department, not before.
        assert!(matches!(
            transition(Status::Submitted, Action::Approve, Role::Finance, ""),
            Err(WorkflowError::NotNow { .. })
        ));
        // A reviewed form cannot be withdrawn.
        assert!(matches!(
            transition(Status::DeptApproved, Action::Withdraw, Role::Unit, ""),
            Err(WorkflowError::NotNow { .. })
        ));
        assert_eq!(
            transition(Status::Submitted, Action::Return, Role::Department, " "),
            Err(WorkflowError::CommentRequired)
        );
        assert_eq!(
            transition(
                Status::Submitted,
                Action::Return,
                Role::Department,
                "补充成本指标"
            ),
            Ok(Status::Returned)
        );
        assert_eq!(
            transition(Status::Returned, Action::Submit, Role::Unit, ""),
            Ok(Status::Submitted)
        );
    }

    #[test]
    fn self_evaluation_path() {
        use EvalStatus as E;
        let t = |s, a, r, c| eval_transition(s, a, r, c);
        assert_eq!(
            t(E::Draft, Action::Submit, Role::Unit, ""),
            Ok(E::Submitted)
        );
        assert_eq!(
            t(E::Submitted, Action::Withdraw, Role::Unit, ""),
            Ok(E::Draft)
        );
        assert_eq!(
            t(E::Submitted, Action::Return, Role::Department, " "),
            Err(WorkflowError::CommentRequired)
        );
        assert_eq!(
            t(
                E::Submitted,
                Action::Return,
                Role::Department,
                "偏差原因未写"
            ),
            Ok(E::Returned)
        );
        assert_eq!(
            t(E::Returned, Action::Submit, Role::Unit, ""),
            Ok(E::Submitted)
        );
        assert_eq!(
            t(E::Submitted, Action::Approve, Role::Finance, ""),
            Ok(E::Approved)
        );
        // Re-check: finance may return an approved self-evaluation, a department may not.
        assert_eq!(
            t(E::Approved, Action::Return, Role::Finance, "复核：数据不符"),
            Ok(E::Returned)
        );
        assert!(matches!(
            t(E::Approved, Action::Return, Role::Department, "x"),
            Err(WorkflowError::EvalNotNow { .. })
        ));
        // Duties: a unit never approves its own; nobody publishes a self-evaluation.
        assert!(matches!(
            t(E::Submitted, Action::Approve, Role::Unit, ""),
            Err(WorkflowError::NotYourDuty { .. })
        ));
        for r in [Role::Admin, Role::Auditor, Role::Finance] {
            assert!(t(E::Approved, Action::Publish, r, "").is_err());
        }
        assert!(E::Draft.editable() && E::Returned.editable());
        assert!(!E::Submitted.editable() && !E::Approved.editable());
        for s in E::ALL {
            assert_eq!(E::from_name(s.name()), Some(s));
        }
    }

    #[test]
    fn edits_by_status() {
        assert_eq!(Status::Returned.on_edit(), EditRule::InPlace);
        assert_eq!(Status::Submitted.on_edit(), EditRule::Refused);
        assert_eq!(Status::Published.on_edit(), EditRule::Adjustment);
    }
}
