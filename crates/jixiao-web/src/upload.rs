//! Bringing files in: a workbook (xlsx, xls), published text or the JSON exchange format is
//! read and reviewed first, shown to the user with every warning and finding, and saved only
//! when the user confirms, all forms in one transaction, for the uploader's unit. The API
//! (`POST /api/imports`) and the pages (`/forms/import`) call the same two functions.

use crate::api::{require_editor, rule_set};
use crate::auth::{audited, Auth};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use jixiao_core::review::{review, Finding};
use jixiao_core::Form;
use jixiao_import::{ReadOutput, Warning};
use serde::Serialize;

/// The largest file accepted.
pub const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// What a file holds, before anything is saved.
#[derive(Serialize)]
pub struct Preview {
    pub forms: Vec<PreviewForm>,
    /// Self-evaluation tables found (scored on a form's 绩效自评 page or with `jixiao score`).
    pub tables: usize,
    /// Warnings that belong to no form.
    pub warnings: Vec<String>,
    /// Why the forms cannot be saved as they are, if they cannot.
    pub refused: Option<String>,
    pub encoding: String,
}

#[derive(Serialize)]
pub struct PreviewForm {
    pub form: Form,
    pub warnings: Vec<String>,
    pub findings: Vec<Finding>,
}

fn warning_text(w: &Warning) -> String {
    w.to_string()
}

/// Reads and reviews a file. A file that cannot be read at all is an error that says why.
pub async fn preview(state: &AppState, bytes: &[u8]) -> ApiResult<(Preview, ReadOutput)> {
    if bytes.len() > MAX_UPLOAD {
        return Err(ApiError::bad_request(
            format!("文件超过 {} MB", MAX_UPLOAD / 1024 / 1024),
            format!("the file is larger than {} MB", MAX_UPLOAD / 1024 / 1024),
        ));
    }
    let out = jixiao_import::read_any(bytes).map_err(|e| {
        ApiError::from_bilingual(
            axum::http::StatusCode::BAD_REQUEST,
            "unreadable",
            &e.to_string(),
        )
    })?;
    let rules = rule_set(state).await?;
    let forms = out
        .forms
        .iter()
        .map(|f| PreviewForm {
            findings: review(&f.form, None, &rules),
            warnings: f.warnings.iter().map(warning_text).collect(),
            form: f.form.clone(),
        })
        .collect();
    let refused = out.check_storable().err().map(|e| e.to_string());
    let p = Preview {
        forms,
        tables: out.tables.len(),
        warnings: out.warnings.iter().map(warning_text).collect(),
        refused,
        encoding: out.encoding.to_string(),
    };
    Ok((p, out))
}

/// Saves what a file holds for the uploader's unit, in one transaction; returns the new
/// forms' IDs with their project names, in the file's order.
pub async fn commit(
    state: &AppState,
    auth: &Auth,
    bytes: &[u8],
    filename: &str,
) -> ApiResult<Vec<(String, String)>> {
    require_editor(auth)?;
    let unit = crate::api::unit_of(auth)?;
    let (preview, out) = preview(state, bytes).await?;
    if let Some(why) = preview.refused {
        return Err(ApiError::from_bilingual(
            axum::http::StatusCode::BAD_REQUEST,
            "not_storable",
            &why,
        ));
    }
    let forms: Vec<Form> = out.forms.into_iter().map(|f| f.form).collect();
    let names: Vec<&str> = forms.iter().map(|f| f.name.as_str()).collect();
    // The target is left to the store: the IDs it creates.
    let ids = audited(
        state,
        &auth.user.username,
        &auth.ip,
        "forms_import",
        "",
        &format!("{filename}: {}", names.join("、")),
        state
            .store
            .create_forms(&forms, Some(&unit), &auth.user.username),
    )
    .await?;
    for id in &ids {
        crate::api::keep_findings(state, id).await;
    }
    Ok(ids
        .into_iter()
        .zip(names.iter().map(|n| n.to_string()))
        .collect())
}
