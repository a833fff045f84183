//! Separation of duties (三权分立, GB/T 22239-2019 8.1.4 访问控制 d): which changes to accounts
//! take a second administrator's approval, and who may give it. Pure rules; the server asks
//! for the approval (a pending grant), checks who decides and applies the grant.
//!
//! - The system administrator (`admin`) keeps accounts and organisations; the security
//!   administrator (`security`) keeps roles and the rules; the audit administrator
//!   (`audit_admin`) keeps the audit log. None of them sees a form's content.
//! - A privileged role ([`Role::privileged`]) given or taken away through the application,
//!   and a privileged account's password or second factor reset, is a grant that waits for
//!   the approval of an administrator of the other duty: what the system administrator asks
//!   the security administrator approves, and the other way round. Nobody decides on their
//!   own request or on a grant for their own account, and nobody changes their own role.
//! - The operator of the server (`jixiao user add` on the command line) is outside this: the
//!   command line creates any account directly, recorded as the operating-system user.

use crate::workflow::Role;
use serde::{Deserialize, Serialize};

/// The shortest time the audit log is kept: six months (网络安全法 第二十一条: network logs
/// kept no less than six months), counted as 184 days. The audit administrator may keep it
/// longer, never shorter; the database itself refuses to delete a younger entry.
pub const AUDIT_RETENTION_MIN_DAYS: i64 = 184;

/// The longest retention the audit administrator may set (100 years; or keep everything).
pub const AUDIT_RETENTION_MAX_DAYS: i64 = 36_500;

/// What a grant does once approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    /// A new account with a privileged role.
    Create,
    /// An account's role changed to or from a privileged one.
    Role,
    /// A privileged account's password reset (to be changed at its next sign-in).
    ResetPassword,
    /// A privileged account's second factor removed (enrolled again at its next sign-in).
    ResetTotp,
}

impl GrantKind {
    pub const ALL: [GrantKind; 4] = [
        GrantKind::Create,
        GrantKind::Role,
        GrantKind::ResetPassword,
        GrantKind::ResetTotp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GrantKind::Create => "create",
            GrantKind::Role => "role",
            GrantKind::ResetPassword => "reset_password",
            GrantKind::ResetTotp => "reset_totp",
        }
    }

    pub fn from_name(s: &str) -> Option<GrantKind> {
        GrantKind::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn chinese(self) -> &'static str {
        match self {
            GrantKind::Create => "新建账户",
            GrantKind::Role => "变更角色",
            GrantKind::ResetPassword => "重置密码",
            GrantKind::ResetTotp => "重置动态口令",
        }
    }
}

/// Where a grant stands. A pending grant has no effect; only an approval applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    Pending,
    Approved,
    Rejected,
}

impl GrantStatus {
    pub const ALL: [GrantStatus; 3] = [
        GrantStatus::Pending,
        GrantStatus::Approved,
        GrantStatus::Rejected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GrantStatus::Pending => "pending",
            GrantStatus::Approved => "approved",
            GrantStatus::Rejected => "rejected",
        }
    }

    pub fn from_name(s: &str) -> Option<GrantStatus> {
        GrantStatus::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn chinese(self) -> &'static str {
        match self {
            GrantStatus::Pending => "待审批",
            GrantStatus::Approved => "已批准",
            GrantStatus::Rejected => "已拒绝",
        }
    }
}

/// Whether giving an account `to` takes a second administrator's approval: creating it with
/// a privileged role (`from` is `None`), or changing its role to or from a privileged one.
/// Business roles (unit, department) are given directly.
pub fn needs_approval(from: Option<Role>, to: Role) -> bool {
    match from {
        None => to.privileged(),
        Some(f) => f != to && (f.privileged() || to.privileged()),
    }
}

/// Whether resetting the password or the second factor of an account with this role takes
/// approval: whoever resets them could sign in as the account and hold its role.
pub fn reset_needs_approval(role: Role) -> bool {
    role.privileged()
}

/// The administrators who may ask for a grant: the system administrator (accounts) and the
/// security administrator (roles).
pub fn may_request(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Security)
}

/// The duty that approves a grant asked for by `requester`: the other of the two.
pub fn approver_for(requester: Role) -> Option<Role> {
    match requester {
        Role::Admin => Some(Role::Security),
        Role::Security => Some(Role::Admin),
        _ => None,
    }
}

/// Why someone may not decide on a grant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("不能审批自己提出的授权申请，须由另一位管理员审批 / you cannot decide on your own request: another administrator must")]
    OwnRequest,
    #[error("不能审批给自己账户的授权 / you cannot decide on a grant for your own account")]
    OwnAccount,
    #[error("此授权申请须由{0}审批 / this grant is for the {1} to decide")]
    WrongDuty(&'static str, &'static str),
}

/// Who may approve (or reject) a grant: an administrator of the duty [`approver_for`] the
/// requester's names, neither the requester nor the account the grant is for. The requester
/// may still withdraw their own request: a rejection (`rejecting`) by the requester is allowed.
pub fn check_decision(
    decider: (&str, Role),
    requester: (&str, Role),
    subject: &str,
    rejecting: bool,
) -> Result<(), Refusal> {
    let (who, role) = decider;
    if rejecting && who == requester.0 {
        return Ok(());
    }
    if who == requester.0 {
        return Err(Refusal::OwnRequest);
    }
    if who == subject {
        return Err(Refusal::OwnAccount);
    }
    match approver_for(requester.1) {
        Some(r) if r == role => Ok(()),
        Some(r) => Err(Refusal::WrongDuty(r.chinese(), english(r))),
        None => Err(Refusal::WrongDuty(
            Role::Security.chinese(),
            english(Role::Security),
        )),
    }
}

fn english(r: Role) -> &'static str {
    match r {
        Role::Admin => "system administrator",
        Role::Security => "security administrator",
        Role::AuditAdmin => "audit administrator",
        _ => "administrator",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_roles_given_or_taken_need_approval_business_roles_do_not() {
        for r in Role::ALL {
            assert_eq!(needs_approval(None, r), r.privileged(), "{r:?}");
            assert!(!needs_approval(Some(r), r), "{r:?} unchanged");
        }
        assert!(!needs_approval(Some(Role::Unit), Role::Department));
        assert!(needs_approval(Some(Role::Unit), Role::Finance));
        assert!(
            needs_approval(Some(Role::Security), Role::Unit),
            "taken away"
        );
        assert!(needs_approval(Some(Role::Admin), Role::Security));
        assert!(reset_needs_approval(Role::AuditAdmin));
        assert!(!reset_needs_approval(Role::Unit));
        assert!(Role::ALL
            .iter()
            .filter(|r| r.administrator())
            .all(|r| r.privileged()));
    }

    #[test]
    fn the_other_duty_decides_never_the_requester_nor_the_account() {
        // The system administrator asks, the security administrator approves.
        assert_eq!(
            check_decision(("sec", Role::Security), ("adm", Role::Admin), "new", false),
            Ok(())
        );
        assert_eq!(
            check_decision(("adm", Role::Admin), ("sec", Role::Security), "new", false),
            Ok(())
        );
        // Not one's own request, even with the right duty.
        assert_eq!(
            check_decision(("adm", Role::Admin), ("adm", Role::Admin), "x", false),
            Err(Refusal::OwnRequest)
        );
        // Not a grant for oneself.
        assert_eq!(
            check_decision(("sec", Role::Security), ("adm", Role::Admin), "sec", false),
            Err(Refusal::OwnAccount)
        );
        // Not another administrator of the same duty, nor the audit administrator.
        assert!(matches!(
            check_decision(("adm2", Role::Admin), ("adm", Role::Admin), "x", false),
            Err(Refusal::WrongDuty(..))
        ));
        assert!(matches!(
            check_decision(("aud", Role::AuditAdmin), ("adm", Role::Admin), "x", false),
            Err(Refusal::WrongDuty(..))
        ));
        assert!(matches!(
            check_decision(("fin", Role::Finance), ("adm", Role::Admin), "x", false),
            Err(Refusal::WrongDuty(..))
        ));
        // The requester may withdraw their own request.
        assert_eq!(
            check_decision(("adm", Role::Admin), ("adm", Role::Admin), "x", true),
            Ok(())
        );
        assert!(may_request(Role::Admin) && may_request(Role::Security));
        assert!(!may_request(Role::AuditAdmin) && !may_request(Role::Finance));
    }

    #[test]
    fn names_read_back() {
        for k in GrantKind::ALL {
            assert_eq!(GrantKind::from_name(k.name()), Some(k));
        }
        for s in GrantStatus::ALL {
            assert_eq!(GrantStatus::from_name(s.name()), Some(s));
        }
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.name())
            );
        }
    }
}
