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
        let ids =
            f.id.iter()
                .chain(f.indicators.iter().filter_map(|i| i.id.as_ref()));
        for id in ids {
            if id.is_empty()
                || id.len() > 64
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(format!(
                    "ID“{id}”只能由字母、数字、- 和 _ 组成，最长 64 位 / the ID “{id}” may hold only letters, digits, - and _, at most 64"
                )));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form_json(id: &str) -> String {
        format!(
            r#"{{"forms":[{{"id":"{id}","year":2023,"name":"x","nature":"","category":"","department":"","implementer":"",
            "start_date":null,"end_date":null,"funds":{{"total":null,"fiscal":null,"other":null,"annual_total":null,
            "annual_appropriation":null,"annual_carryover":null,"annual_other":null}},"goal_overall":"","goal_annual":"",
            "indicators":[{{"id":null,"level1":"产出指标","level2":"数量指标","name":"a","target":{{"kind":"qualitative","text":"完善"}},"raw":"完善"}}]}}]}}"#
        )
    }

    #[test]
    fn ids_are_plain_ascii() {
        assert!(read_json(&form_json("0123abcd-ef_9")).is_ok());
        for bad in ["申报表一", "", "a b", "x/../y"] {
            let e = read_json(&form_json(bad)).unwrap_err();
            assert!(e.to_string().contains("ID"), "{bad}: {e}");
        }
    }
}
