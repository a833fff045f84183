//! Demo data: the seed forms, the Big Data Center as a unit under its department, the finance
//! bureau, and one account per role.

use crate::auth::hash_password;
use crate::error::ApiError;
use jixiao_core::workflow::Role;
use jixiao_store::{OnConflict, Org, Store, User};

pub const DEMO_PASSWORD: &str = "jixiao-demo";

/// The demo accounts: (username, display name, role).
pub const ACCOUNTS: [(&str, &str, Role); 7] = [
    ("unit", "大数据中心填报人", Role::Unit),
    ("dept", "主管部门审核人", Role::Department),
    ("finance", "财政局审核人", Role::Finance),
    ("admin", "系统管理员", Role::Admin),
    ("security", "安全管理员", Role::Security),
    ("auditadmin", "审计管理员", Role::AuditAdmin),
    ("auditor", "审计人员", Role::Auditor),
];

/// The demo accounts' usernames, as the sign-in page and `serve --demo` list them.
pub fn usernames() -> String {
    ACCOUNTS.map(|a| a.0).join(", ")
}

/// Fills an empty store with the demo organisation, accounts and the seed forms.
pub async fn load(store: &dyn Store, password: &str) -> Result<(), ApiError> {
    let forms: Vec<_> = jixiao_import::read_disclosure(jixiao_import::SEED)
        .map_err(|e| ApiError::bad_request(e.to_string(), e.to_string()))?
        .forms
        .into_iter()
        .map(|f| f.form)
        .collect();
    store.import(&forms, OnConflict::Refuse).await?;
    let finance = Org {
        id: "org-finance".into(),
        name: "上海市财政局".into(),
        kind: "finance".into(),
        parent_id: None,
    };
    let dept = Org {
        id: "org-dept".into(),
        name: "上海市人民政府办公厅".into(),
        kind: "department".into(),
        parent_id: Some(finance.id.clone()),
    };
    let unit = Org {
        id: "org-unit".into(),
        name: "上海市大数据中心".into(),
        kind: "unit".into(),
        parent_id: Some(dept.id.clone()),
    };
    for o in [&finance, &dept, &unit] {
        store.create_org(o).await?;
    }
    store.link_forms_to_units().await?;
    let hash = hash_password(password)?;
    for (username, name, role) in ACCOUNTS {
        let org = match role {
            Role::Unit => Some(unit.id.clone()),
            Role::Department => Some(dept.id.clone()),
            Role::Finance => Some(finance.id.clone()),
            _ => None,
        };
        let user = User {
            id: format!("user-{username}"),
            username: username.into(),
            display_name: name.into(),
            role,
            org_id: org,
        };
        // The demo's accounts sign in with the demo password alone, as the sign-in page says.
        store.create_user(&user, &hash, false).await?;
        store.set_totp_exempt(&user.id, true).await?;
    }
    Ok(())
}
