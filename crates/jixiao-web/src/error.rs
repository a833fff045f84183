//! One error type for every route: a stable code, a message in Chinese and English, the
//! right status. Internal details are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jixiao_store::StoreError;
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
    pub detail: Option<Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        message_en: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            message_en: message_en.into(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: Value) -> ApiError {
        self.detail = Some(detail);
        self
    }

    pub fn bad_request(message: impl Into<String>, message_en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message, message_en)
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "找不到", "not found")
    }

    pub fn forbidden(message: impl Into<String>, message_en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message, message_en)
    }

    /// A message that already holds both languages (`中文 / English`).
    pub fn from_bilingual(status: StatusCode, code: &'static str, text: &str) -> ApiError {
        let (zh, en) = text.split_once(" / ").unwrap_or((text, text));
        ApiError::new(status, code, zh, en)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body =
            json!({ "code": self.code, "message": self.message, "message_en": self.message_en });
        if let Some(d) = self.detail {
            body["detail"] = d;
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let text = e.to_string();
        match e {
            StoreError::NotFound(_) => ApiError::not_found(),
            StoreError::Conflict {
                base,
                current,
                ref updated_by,
                ref updated_at,
            } => {
                // The time in Beijing time, as people read it; the detail keeps the instant.
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "申报表已被 {updated_by} 于 {}（北京时间）修改为第 {current} 版，你的修改基于第 {base} 版",
                        crate::auth::beijing(updated_at)
                    ),
                    format!("the form was changed by {updated_by} at {updated_at} to version {current}; your change was based on version {base}"),
                )
                    .with_detail(json!({ "base_version": base, "current_version": current, "updated_by": updated_by, "updated_at": updated_at }))
            }
            StoreError::StatusChanged(_)
            | StoreError::NotReplaceable { .. }
            | StoreError::EvalLocked(_)
            | StoreError::EvalStatusChanged(_)
            | StoreError::GrantDecided(..)
            | StoreError::GrantStale(_) => {
                ApiError::from_bilingual(StatusCode::CONFLICT, "status_changed", &text)
            }
            StoreError::GrantPending(_) => {
                ApiError::from_bilingual(StatusCode::CONFLICT, "grant_pending", &text)
            }
            StoreError::Exists { .. }
            | StoreError::Taken(_)
            | StoreError::IdTaken { .. }
            | StoreError::DuplicateInImport { .. } => {
                ApiError::from_bilingual(StatusCode::CONFLICT, "exists", &text)
            }
            // A decision that cannot be signed (a field the signed text cannot hold) is not
            // made.
            StoreError::Unsignable(_) => {
                ApiError::from_bilingual(StatusCode::UNPROCESSABLE_ENTITY, "unsignable", &text)
            }
            StoreError::BadCursor { .. } => {
                ApiError::from_bilingual(StatusCode::BAD_REQUEST, "bad_cursor", &text)
            }
            StoreError::Ambiguous { .. } | StoreError::Input(_) => {
                ApiError::from_bilingual(StatusCode::BAD_REQUEST, "ambiguous", &text)
            }
            StoreError::Corrupt(_)
            | StoreError::Copy(_)
            | StoreError::Migrate(_)
            | StoreError::Db(_) => {
                eprintln!("store error: {text}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误",
                    "internal server error",
                )
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> ApiError {
        let status = r.status();
        let text = r.body_text();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                status,
                "too_large",
                "请求内容过大",
                "the request body is too large",
            );
        }
        ApiError::new(
            if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                status
            } else {
                StatusCode::BAD_REQUEST
            },
            "bad_json",
            format!("请求内容不是有效的 JSON：{text}"),
            format!("the request body is not valid JSON: {text}"),
        )
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> ApiError {
        let text = r.body_text();
        ApiError::bad_request(
            format!("查询参数有误：{text}"),
            format!("bad query parameters: {text}"),
        )
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
