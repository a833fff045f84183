//! 导入文件: choose a file on the portfolio, see what it holds (forms, every warning, the
//! review's findings) before anything is saved, then confirm or cancel. The file travels back
//! with the confirmation (base64 in the page), so the server keeps nothing between the steps.

use super::{error_page, layout, PagePost, PageUser, Upload};
use crate::error::ApiError;
use crate::upload::{commit, preview, MAX_UPLOAD};
use crate::AppState;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jixiao_core::review::Severity;
use maud::{html, Markup};
use serde::Deserialize;

fn chooser(csrf: &str) -> Markup {
    html! {
        form class="upload" method="post" action="/forms/import" enctype="multipart/form-data" {
            input type="hidden" name="_csrf" value=(csrf);
            label for="file" { "选择文件（Excel .xlsx / .xls、公开文本 .txt 或交换格式 .json）" }
            input id="file" type="file" name="file" required accept=".xlsx,.xls,.txt,.json,.csv,.htm,.html";
            button type="submit" { "读取并预览" }
        }
    }
}

/// `GET /forms/import`.
pub async fn page(PageUser(auth): PageUser) -> Response {
    if let Err(e) = crate::api::require_editor(&auth) {
        return error_page(Some((&auth.user, auth.csrf.as_str())), &e);
    }
    let body = html! {
        h1 { "导入文件" }
        p { "先读取和审核，列出文件中的申报表、每一条警告和审核发现；确认后才保存，全部申报表一次保存，归属本单位。" }
        (chooser(&auth.csrf))
    };
    layout("导入文件", Some((&auth.user, &auth.csrf)), "forms", body).into_response()
}

/// `POST /forms/import` (multipart): the preview.
pub async fn upload(
    State(state): State<AppState>,
    PageUser(auth): PageUser,
    parts: Multipart,
) -> Response {
    let user = Some((&auth.user, auth.csrf.as_str()));
    let Upload { file, filename, .. } = match super::read_upload(parts, &auth).await {
        Ok(u) => u,
        Err(e) => return error_page(user, &e),
    };
    if let Err(e) = crate::api::require_editor(&auth) {
        return error_page(user, &e);
    }
    if file.is_empty() {
        return error_page(
            user,
            &ApiError::bad_request(
                "没有选择文件，或文件是空的",
                "no file chosen, or the file is empty",
            ),
        );
    }
    let (p, _) = match preview(&state, &file).await {
        Ok(p) => p,
        Err(e) => {
            let body = html! {
                h1 { "导入文件" }
                p class="error" role="alert" { "无法读取“" (filename) "”：" (e.message) }
                p lang="en" class="muted" { (e.message_en) }
                (chooser(&auth.csrf))
            };
            return (e.status, layout("导入文件", user, "forms", body)).into_response();
        }
    };
    let data = base64::engine::general_purpose::STANDARD.encode(&file);
    let body = html! {
        h1 { "导入预览：" (filename) }
        p class="meta" {
            "找到 " strong { (p.forms.len()) } " 张申报表"
            @if p.tables > 0 { "、" (p.tables) " 张绩效自评表（自评表请在申报表的“绩效自评”页录入）" }
            "。尚未保存。"
        }
        @for w in &p.warnings { p class="warn" { (w) } }
        @for (k, f) in p.forms.iter().enumerate() {
            section class="preview" aria-labelledby={ "pf" (k) } {
                h2 id={ "pf" (k) } { (f.form.name) "（" (f.form.year) "年度）" }
                p class="meta" {
                    (f.form.implementer) " · " (f.form.indicators.len()) " 个指标 · 年度资金 "
                    (super::money(f.form.funds.annual_total)) " 元"
                }
                @if !f.warnings.is_empty() {
                    h3 { "读取警告（" (f.warnings.len()) "）" }
                    ul class="warnings" { @for w in &f.warnings { li { (w) } } }
                }
                h3 { "审核发现（" (f.findings.len()) "）" }
                @if f.findings.is_empty() { p { "未发现问题。" } }
                ul class="findings" {
                    @for x in &f.findings {
                        li class=(match x.severity { Severity::Error => "error", Severity::Warning => "warn", _ => "hint" }) {
                            "【" (x.severity.chinese()) "】" code { (x.code) } " " (x.message)
                            @if let Some(i) = &x.indicator { "（" (i) "）" }
                        }
                    }
                }
            }
        }
        @match &p.refused {
            Some(why) => {
                p class="error" role="alert" { "不能保存：" (why) }
                p { a class="button" href="/forms/import" { "重新选择文件" } }
            }
            None => {
                form method="post" action="/forms/import/confirm" class="buttons" {
                    input type="hidden" name="_csrf" value=(auth.csrf);
                    input type="hidden" name="filename" value=(filename);
                    input type="hidden" name="data" value=(data);
                    button type="submit" { "确认导入 " (p.forms.len()) " 张申报表" }
                    " "
                    a class="button" href="/forms" { "取消" }
                }
            }
        }
    };
    layout("导入预览", user, "forms", body).into_response()
}

#[derive(Deserialize)]
pub struct Confirm {
    filename: String,
    data: String,
}

/// `POST /forms/import/confirm`: saves the previewed file's forms.
pub async fn confirm(State(state): State<AppState>, post: PagePost<Confirm>) -> Response {
    let PagePost { auth, form } = post;
    let user = Some((&auth.user, auth.csrf.as_str()));
    if let Err(e) = crate::api::forms_duty(&auth) {
        return error_page(user, &e);
    }
    let bytes = match base64::engine::general_purpose::STANDARD.decode(form.data.as_bytes()) {
        Ok(b) if b.len() <= MAX_UPLOAD => b,
        _ => {
            return error_page(
                user,
                &ApiError::bad_request(
                    "文件内容有误，请重新选择",
                    "the file came back damaged: choose it again",
                ),
            )
        }
    };
    match commit(&state, &auth, &bytes, &form.filename).await {
        Ok(saved) => {
            let body = html! {
                h1 { "已导入" }
                p role="status" { "已从“" (form.filename) "”保存 " (saved.len()) " 张申报表（草稿，归属本单位）。" }
                ul { @for (id, name) in &saved { li { a href={ "/forms/" (id) } { "打开“" (name) "”" } } } }
                p { a class="button" href="/forms" { "返回申报表列表" } }
            };
            layout("已导入", user, "forms", body).into_response()
        }
        Err(e) => error_page(user, &e),
    }
}
