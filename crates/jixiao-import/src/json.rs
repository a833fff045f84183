//! The JSON exchange format: `{"forms": [...]}`.

use crate::ReadError;
use jixiao_core::Form;
use serde::Deserialize;

#[derive(Deserialize)]
struct Exchange {
    forms: Vec<Form>,
}

/// Reads the exchange format and checks each form the way the text reader would.
pub fn read_json(text: &str) -> Result<Vec<Form>, ReadError> {
    let ex: Exchange = serde_json::from_str(text).map_err(|e| ReadError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    for (i, f) in ex.forms.iter().enumerate() {
        let index = i + 1;
        let bad = |message: String| ReadError::InvalidForm { index, message };
        if f.name.trim().is_empty() {
            return Err(bad("项目名称为空 / the project name is empty".into()));
        }
        if !(1900..=2200).contains(&f.year) {
            return Err(bad(format!(
                "年度 {} 不合理 / the year {} is implausible",
                f.year, f.year
            )));
        }
        if f.indicators.is_empty() {
            return Err(bad(format!(
                "“{}”没有指标 / “{}” has no indicators",
                f.name, f.name
            )));
        }
        for (j, ind) in f.indicators.iter().enumerate() {
            if ind.name.trim().is_empty() {
                return Err(bad(format!(
                    "第{}个指标没有名称 / indicator {} has no name",
                    j + 1,
                    j + 1
                )));
            }
        }
    }
    Ok(ex.forms)
}
