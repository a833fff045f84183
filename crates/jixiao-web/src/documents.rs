//! Supporting documents (佐证材料): checked on the way in (size, kind by content, name), kept
//! with their SM3 digest, and given out only to those who may read the form.

use crate::api::{percent_encode, require_editor, visible};
use crate::auth::{audited, Auth};
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jixiao_core::crypto::{hex, Crypto, Software};
use jixiao_store::Document;
use serde::Deserialize;
use serde_json::{json, Value};

/// The largest document accepted: 10 MiB.
pub const MAX_DOCUMENT: usize = 10 << 20;

/// What a file is, from its first bytes (never from its name alone): the kinds a finance
/// office attaches — PDF, images, Office documents. A zip is accepted only as an Office file.
fn kind(bytes: &[u8], name: &str) -> Option<&'static str> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Some("image/jpeg");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match ext.as_str() {
            "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "docx" => {
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            "ofd" => Some("application/ofd"),
            _ => None,
        };
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return match ext.as_str() {
            "xls" => Some("application/vnd.ms-excel"),
            "doc" => Some("application/msword"),
            _ => None,
        };
    }
    None
}

/// Checks and keeps a document for a form the caller's unit fills in.
pub async fn attach(
    state: &AppState,
    auth: &Auth,
    form_id: &str,
    indicator_id: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> ApiResult<Document> {
    require_editor(auth)?;
    visible(state, auth, form_id).await?;
    // What a reviewer reads stays as submitted: documents are added while the
    // self-evaluation can change.
    if let Some(s) = state.store.eval_status(form_id).await? {
        if !s.editable() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "status_changed",
                format!("自评{}，不能再添加佐证材料；需要时请先撤回", s.chinese()),
                format!(
                    "the self-evaluation is {}: documents can no longer be added",
                    s.name()
                ),
            ));
        }
    }
    // The name as shown: no path, no control characters, not too long.
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request(
            "文件名为空或超过 200 个字符",
            "the file name is empty or longer than 200 characters",
        ));
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request("文件是空的", "the file is empty"));
    }
    if bytes.len() > MAX_DOCUMENT {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("“{name}”超过 10 MB"),
            format!("“{name}” is larger than 10 MB"),
        ));
    }
    let Some(content_type) = kind(bytes, &name) else {
        return Err(ApiError::bad_request(
            format!("“{name}”不是可接受的佐证材料：只接受 PDF、PNG、JPEG、Word、Excel 和 OFD 文件"),
            format!(
                "“{name}” is not an accepted document: PDF, PNG, JPEG, Word, Excel and OFD only"
            ),
        ));
    };
    let indicator_id = indicator_id.map(str::trim).filter(|i| !i.is_empty());
    if let Some(i) = indicator_id {
        let form = state
            .store
            .get(form_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if !form.indicators.iter().any(|x| x.id.as_deref() == Some(i)) {
            return Err(ApiError::bad_request(
                format!("没有 ID 为 {i} 的指标"),
                format!("no indicator {i}"),
            ));
        }
    }
    let doc = Document {
        id: uuid::Uuid::new_v4().simple().to_string(),
        form_id: form_id.to_string(),
        indicator_id: indicator_id.map(str::to_string),
        name,
        content_type: content_type.to_string(),
        size: bytes.len() as i64,
        sm3: hex(&Software.hash(bytes)),
        uploaded_by: auth.user.username.clone(),
        uploaded_at: crate::auth::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    audited(
        state,
        &auth.user.username,
        &auth.ip,
        "document_upload",
        form_id,
        &format!("{} {} sm3={}", doc.name, doc.size, doc.sm3),
        state.store.add_document(&doc, bytes),
    )
    .await?;
    Ok(doc)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    name: String,
    indicator_id: Option<String>,
}

/// `POST /api/forms/{id}/documents?name=合同.pdf&indicator_id=…` with the file as the body.
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(p): Query<UploadParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let doc = attach(
        &state,
        &auth,
        &id,
        p.indicator_id.as_deref(),
        &p.name,
        &body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "document": doc }))))
}

/// `GET /api/forms/{id}/documents`
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    visible(&state, &auth, &id).await?;
    Ok(Json(
        json!({ "documents": state.store.documents(&id).await? }),
    ))
}

/// `GET /api/documents/{id}`: the file as uploaded, to those who may read its form.
pub async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (doc, data) = state
        .store
        .document(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    visible(&state, &auth, &doc.form_id).await?;
    let check = hex(&Software.hash(&data));
    if check != doc.sm3 {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "corrupt",
            "文件内容与保存时的 SM3 摘要不符，已拒绝下载",
            "the file no longer matches its SM3 digest: refused",
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"document\"; filename*=UTF-8''{}",
                    percent_encode(&doc.name)
                ),
            ),
            (header::HeaderName::from_static("x-sm3"), doc.sm3.clone()),
        ],
        data,
    )
        .into_response())
}
